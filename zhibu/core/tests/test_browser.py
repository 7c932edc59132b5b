"""Smoke test in a real chromium: log in, tree, branch, member — on desktop and on a phone."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_WIDTH = 390


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH + 2


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_tree_branch_member(world, page_for, live_server, phone):
    page = page_for(world.secretary, phone=phone)
    assert page.locator("h1").inner_text().startswith("您好")
    # vendored htmx and CSS are served (no CDN): the pages below rely on both
    assert page.evaluate("typeof htmx") == "object"
    assert "第一党支部" in page.locator("[data-testid=my-roles]").inner_text()
    if phone:
        assert no_sideways_scroll(page)

    if phone:  # under 600 px the menu is a drawer behind one button
        assert not page.get_by_role("link", name="组织", exact=True).is_visible()
        page.click("[data-testid=menu-button]")
    page.get_by_role("link", name="组织", exact=True).click()
    page.wait_for_url("**/orgs/")
    assert page.locator("h1").inner_text() == "组织架构"
    assert page.get_by_text("第一党小组").is_visible()  # the single root opens one level
    if phone:
        assert no_sideways_scroll(page)

    page.locator("a.node-name", has_text="第一党支部").click()
    page.wait_for_url(f"**/orgs/{world.branch.pk}/")
    assert page.locator("h1").inner_text() == "第一党支部"
    assert page.get_by_role("heading", name="支部委员会").is_visible()
    assert page.locator("[data-testid=roster]").get_by_text("王党员").is_visible()
    if phone:
        assert no_sideways_scroll(page)

    page.locator("[data-testid=roster] a", has_text="王党员").click()
    page.wait_for_url(f"**/members/{world.other_member.pk}/")
    assert page.locator("h1").inner_text() == "王党员"
    assert page.get_by_text("基本信息").is_visible()
    # the secretary sees the full ID number
    assert page.locator("[data-testid=id-number]").inner_text() == world.other_member.id_number
    if phone:
        assert no_sideways_scroll(page)
        page.screenshot(path="/tmp/zhibu-phone.png", full_page=True)


def test_member_list_filters_live_on_phone(world, page_for, live_server):
    page = page_for(world.admin, phone=True)
    page.goto(f"{live_server.url}/members/")
    assert "共 5 名党员" in page.locator("[data-testid=result-count]").inner_text()
    page.fill("input[name=q]", "钱")
    page.wait_for_function(
        "document.querySelector('[data-testid=result-count]').innerText.includes('共 1 名')"
    )
    assert page.locator("[data-testid=member-table]").get_by_text("钱党员").is_visible()
    assert "q=" in page.url  # the filter is in the address, so it can be shared and reloaded
    assert no_sideways_scroll(page)
    page.screenshot(path="/tmp/zhibu-phone-list.png", full_page=True)


def test_tree_expands_lazily(world, page_for, live_server):
    page = page_for(world.admin)
    page.goto(f"{live_server.url}/orgs/")
    node = page.locator(f"li[data-org='{world.branch.pk}'] > details")
    assert not node.get_attribute("open")
    summary = node.locator("summary")
    box = summary.bounding_box()
    summary.click(position={"x": box["width"] - 4, "y": box["height"] / 2})
    node.get_by_text("第一党小组").wait_for()
    assert node.get_by_text("1 名党员").is_visible()


def _full_page(page) -> bool:
    """The whole page is there: our header and stylesheet, not a bare fragment."""
    return page.evaluate(
        "!!document.querySelector('header.site-header')"
        " && !!document.querySelector('link[href*=\"zhibu.css\"]')"
    )


def test_back_after_a_search_restores_the_full_page(world, page_for, live_server):
    """An htmx search pushes its address; Back (to another page and back, or inside the
    search history with htmx's snapshot gone) shows the whole styled page, never a fragment."""
    page = page_for(world.secretary, phone=True)
    page.goto(f"{live_server.url}/members/")
    page.fill("#member-q", "李")
    page.wait_for_url("**/members/?*q=*")
    page.wait_for_selector("#member-results >> text=李党员")
    page.fill("#member-q", "王")
    page.wait_for_url("**q=%E7%8E%8B*")
    page.wait_for_selector("#member-results >> text=王党员")
    # leave for another page and come back
    page.goto(f"{live_server.url}/orglife/my/")
    page.go_back()
    page.wait_for_selector("#member-results >> text=王党员")
    assert _full_page(page)
    # Back inside the search history with htmx's snapshot cache gone: htmx asks the server
    page.evaluate("localStorage.clear()")
    page.go_back()
    page.wait_for_selector("#member-results >> text=李党员")
    assert _full_page(page)
    assert page.locator("header.site-header").count() == 1  # not a page inside the page
    page.screenshot(path="/tmp/back-after-search-phone.png", full_page=True)


def test_phone_menu_is_a_drawer_with_tap_sized_items(world, page_for, live_server):
    """A secretary's dozen menu items do not wrap to three rows on a phone: one 菜单 button
    opens them as a list of 44 px rows; on a desktop the menu is shown as before."""
    page = page_for(world.secretary, phone=True)
    menu = page.locator(".site-menu")
    assert not menu.is_visible()
    header = page.locator("header.site-header").bounding_box()
    assert header["height"] < 110, header
    page.click("[data-testid=menu-button]")
    assert menu.is_visible()
    heights = page.eval_on_selector_all(
        ".site-menu > li > a", "els => els.map(e => e.getBoundingClientRect().height)"
    )
    assert heights and min(heights) >= 44, heights
    assert no_sideways_scroll(page)
    page.screenshot(path="/tmp/menu-drawer-phone.png", full_page=True)
    desk = page_for(world.secretary)
    assert desk.locator(".site-menu").is_visible()
    assert not desk.locator("[data-testid=menu-button]").is_visible()
