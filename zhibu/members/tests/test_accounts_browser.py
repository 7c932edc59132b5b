"""In a real chromium on a phone: the secretary creates the branch's accounts and reads the
slip; the member logs in with the one-time password, is made to change it, and gets in."""

import pytest

from zhibu.accounts.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_accounts_slip_then_first_login_changes_the_password(world, page_for, live_server):
    page = page_for(world.secretary, phone=True)
    page.goto(f"{live_server.url}/members/")
    page.click("[data-testid=member-accounts]")
    page.click("[data-testid=create-accounts]")
    page.wait_for_selector("[data-testid=slips]")
    slip = page.locator("[data-testid=slips] .slip").first
    assert "王党员" in slip.inner_text()
    password = page.locator("[data-testid=slip-password]").first.inner_text().strip()
    with page.expect_download() as download:
        page.click("[data-testid=slips-xlsx]")
    assert download.value.suggested_filename.endswith(".xlsx")
    page.click("[data-testid=slips-clear]")
    assert page.evaluate("document.documentElement.scrollWidth") <= 392

    member = page_for(None, phone=True)
    member.goto(f"{live_server.url}/accounts/login/")
    member.fill("input[name=username]", world.other_member.phone)
    member.fill("input[name=password]", password)
    member.click("button[type=submit]")
    member.wait_for_selector("[data-testid=must-change]")
    member.goto(f"{live_server.url}/members/")  # anything else leads back to the change
    member.wait_for_selector("[data-testid=must-change]")
    member.wait_for_load_state("networkidle")
    assert member.locator("[data-testid=password-form]").count() == 1  # not nested by htmx
    member.fill("input[name=old_password]", password)
    member.fill("input[name=new_password1]", "Dangri-2026-xuexi")
    member.fill("input[name=new_password2]", "Dangri-2026-xuexi")
    member.click("[data-testid=password-form] button[type=submit]")
    member.wait_for_selector("[data-testid=password-changed]")
    member.goto(f"{live_server.url}/")
    assert "/accounts/password" not in member.url
    user = User.objects.get(username=world.other_member.phone)
    assert not user.must_change_password and user.check_password("Dangri-2026-xuexi")
