"""The audit page on a phone: the administrator reaches it from the menu, filters, no sideways
scroll."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_audit_page_on_a_phone(world, page_for, live_server):
    from zhibu.audit.models import AuditAction
    from zhibu.audit.services import record

    record(world.secretary, AuditAction.MEMBER_EDIT, world.member, fields=["phone"])
    page = page_for(world.admin, phone=True)
    page.click("[data-testid=menu-button]")
    page.click("[data-testid=menu-audit]")
    page.wait_for_url("**/audit/")
    assert page.locator("h1").inner_text() == "审计日志"
    assert "修改党员信息" in page.locator("[data-testid=audit-rows]").inner_text()
    page.select_option("select[name=action]", "login")
    page.click("[data-testid=audit-filter] button")
    page.wait_for_url("**/audit/?action=login*")
    assert "修改党员信息" not in page.locator("[data-testid=audit-rows]").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 392
    page.screenshot(path="/tmp/audit_phone.png", full_page=True)
