"""An administrator sets up a structure on a phone: imports it from Excel, fixes an error,
appoints a secretary, records the election and dissolves an empty branch — pages only."""

import pytest

from zhibu.members.models import CommitteePosition, Election
from zhibu.members.tests.factories import MemberFactory
from zhibu.orgs.models import Organization
from zhibu.orgs.tests.test_structure import book

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_WIDTH = 390


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH + 2


def test_structure_import_then_committee_on_phone(world, page_for, live_server, tmp_path):
    page = page_for(world.superuser, phone=True)
    page.goto(f"{live_server.url}/orgs/")
    page.click("[data-testid=link-import]")
    assert page.locator("h1").inner_text() == "导入组织架构"

    rows = [
        ["", "市直机关工委", "党工委", "机关", "", ""],
        ["市直机关工委", "财政局党支部", "党支部", "", "", "15"],
        ["市直机关工委", "教育局党支部", "支部委", "", "", ""],
    ]
    bad = tmp_path / "组织架构.xlsx"
    bad.write_bytes(book(rows))
    page.set_input_files("input[name=file]", str(bad))
    page.click("[data-testid=import-form] button[type=submit]")
    page.wait_for_selector("[data-testid=import-errors]")
    card = page.locator("table.roster-errors tbody tr").first
    assert "第 4 行" in card.inner_text() and "组织类型" in card.inner_text()
    assert no_sideways_scroll(page)
    page.screenshot(path="/tmp/zhibu-structure-errors-phone.png", full_page=True)
    assert not Organization.objects.filter(name="市直机关工委").exists()

    rows[2][2] = "党支部"
    good = tmp_path / "组织架构-改正.xlsx"
    good.write_bytes(book(rows))
    page.set_input_files("input[name=file]", str(good))
    page.click("[data-testid=import-form] button[type=submit]")
    page.wait_for_selector("[data-testid=import-success]")
    assert "新设 3 个组织" in page.locator("[data-testid=import-success]").inner_text()

    finance = Organization.objects.get(name="财政局党支部")
    member = MemberFactory(name="周书记", branch=finance)
    page.goto(f"{live_server.url}/orgs/{finance.pk}/")
    page.click("[data-testid=link-committee]")
    page.select_option("[data-testid=assign-form] select[name=member]", str(member.pk))
    page.select_option("[data-testid=assign-form] select[name=role]", "secretary")
    page.fill("[data-testid=assign-form] input[name=start]", "2026-01-05")
    page.click("[data-testid=assign-form] button[type=submit]")
    page.wait_for_selector("text=已任命 周书记 为书记")
    page.fill("[data-testid=election-form] input[name=held_on]", "2026-01-05")
    page.click("[data-testid=election-form] button[type=submit]")
    page.wait_for_selector("text=已登记换届选举")
    assert no_sideways_scroll(page)
    page.screenshot(path="/tmp/zhibu-committee-phone.png", full_page=True)
    assert CommitteePosition.objects.filter(member=member, role="secretary").exists()
    assert Election.objects.get(org=finance).term_years == 3

    education = Organization.objects.get(name="教育局党支部")
    page.goto(f"{live_server.url}/orgs/{education.pk}/")
    page.click("[data-testid=link-dissolve]")
    page.click("[data-testid=org-dissolve-form] button[type=submit]")
    page.wait_for_selector("[data-testid=dissolved]")
    page.screenshot(path="/tmp/zhibu-dissolved-phone.png", full_page=True)
    education.refresh_from_db()
    assert not education.is_active
