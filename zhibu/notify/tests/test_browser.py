"""The notification settings page on a phone, in a real browser."""

import pytest

from zhibu.notify.models import Preference

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_settings_page_works_on_a_phone(world, page_for, live_server):
    page = page_for(world.member_user, phone=True)
    page.goto(f"{live_server.url}/inbox/settings/")
    page.uncheck("input[name='meeting_notice:email']")
    page.fill("input[name=quiet_start]", "21")
    page.fill("input[name=quiet_end]", "8")
    page.click("button[type=submit]")
    page.wait_for_selector("text=消息设置已保存")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 392, f"horizontal scroll on the phone: {width}px"
    pref = Preference.objects.get(user=world.member_user)
    assert (pref.quiet_start, pref.quiet_end) == (21, 8)
    assert not pref.allows("meeting_notice", "email") and pref.allows("makeup_due", "email")
    page.screenshot(path="/tmp/zhibu-notify-settings.png", full_page=True)
