"""The roster import page in a real chromium on a phone: upload, read the error report, fix."""

import pytest

from zhibu.members.models import Member
from zhibu.members.tests.test_roster import good_row, xlsx

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_WIDTH = 390


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH + 2


def test_upload_errors_then_fixed_file_on_phone(world, page_for, live_server, tmp_path):
    page = page_for(world.secretary, phone=True)
    page.goto(f"{live_server.url}/members/roster/import/")
    assert page.locator("h1").inner_text() == "导入党员名册"
    assert no_sideways_scroll(page)

    bad = tmp_path / "名册.xlsx"
    bad.write_bytes(xlsx([good_row(1), good_row(2, 性别="?", 入党日期="2010.07")]))
    page.set_input_files("input[name=file]", str(bad))
    page.click("[data-testid=roster-form] button[type=submit]")
    page.wait_for_selector("[data-testid=roster-errors]")
    assert "发现 2 处错误" in page.locator("[data-testid=roster-errors]").inner_text()
    cards = page.locator("table.roster-errors tbody tr")
    assert cards.count() == 2
    assert "第 3 行" in cards.first.inner_text() and "性别" in cards.first.inner_text()
    assert no_sideways_scroll(page)
    page.screenshot(path="/tmp/zhibu-roster-errors-phone.png", full_page=True)
    assert not Member.objects.filter(name__startswith="测试").exists()

    good = tmp_path / "名册-改正.xlsx"
    good.write_bytes(xlsx([good_row(1), good_row(2)]))
    page.set_input_files("input[name=file]", str(good))
    page.click("[data-testid=roster-form] button[type=submit]")
    page.wait_for_selector("[data-testid=roster-success]")
    assert (
        "导入成功：新增 2，更新 0，未变 0"
        in page.locator("[data-testid=roster-success]").inner_text()
    )
    assert Member.objects.filter(name__startswith="测试", branch=world.branch).count() == 2
