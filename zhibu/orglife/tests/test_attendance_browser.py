"""Attendance in seconds, in a real browser on a 390×844 phone.

A secretary records a 30-member meeting with "全员到会" and two exceptions in a handful of
actions, watching the counter change in place; a member who scans late is told so.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from zhibu.members.tests.factories import MemberFactory
from zhibu.orglife import services
from zhibu.orglife.models import Attendance, Outcome
from zhibu.orglife.tests.test_journey import Burden

SH = ZoneInfo("Asia/Shanghai")
SCHEDULED = datetime(2026, 12, 14, 10, 0, tzinfo=SH)
START = datetime(2026, 12, 15, 9, 0, tzinfo=SH)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_thirty_members_all_present_and_two_exceptions(world, page_for, live_server, settings):
    settings.ZHIBU_BASE_URL = live_server.url
    for i in range(27):
        MemberFactory(name=f"党员{i:02d}", branch=world.branch, join_date=date(2015, 1, 1))
    with time_machine.travel(SCHEDULED, tick=True) as clock:
        meeting = services.meeting_schedule(
            actor=world.secretary,
            org=world.branch,
            meeting_type="party_day",
            topic="重温入党誓词",
            planned_start=START,
            planned_end=START + timedelta(hours=3, minutes=30),
        )
        assert meeting.attendances.count() == 30
        clock.move_to(START + timedelta(minutes=20))

        # a member scans the QR code 20 minutes after the start: signed in, and told it is late
        li = page_for(world.member_user, phone=True)
        li.goto(services.signin_url(meeting))
        li.click("[data-testid=signin-button]")
        li.wait_for_selector("[data-testid=signin-late]")
        assert "记为迟到" in li.inner_text("main")
        li.screenshot(path="/tmp/orglife-signin-late-phone.png", full_page=True)

        page = page_for(world.secretary, phone=True)
        sec = Burden(page)
        page.goto(f"{live_server.url}/orglife/meetings/{meeting.pk}/")
        counts = page.locator("[data-testid=counts]")
        assert "已签到 1 人" in counts.inner_text()
        sec.click("[data-testid=all-present]")
        page.wait_for_selector("[data-testid=attendance-notice]")
        assert "已签到 30 人" in counts.inner_text()
        # two exceptions: one change of a select each, the counter follows without a reload
        sec.actions += 1
        page.select_option(f"[data-testid=mark-{world.other_member.pk}]", "absent")
        page.wait_for_function(
            "document.querySelector('[data-testid=counts]').innerText.includes('缺席 1 人')"
        )
        sec.actions += 1
        page.select_option(f"[data-testid=mark-{world.secretary_member.pk}]", "left_early")
        page.wait_for_function(
            "document.querySelector('[data-testid=counts]').innerText.includes('早退 1 人')"
        )
        text = counts.inner_text()
        assert "已签到 29 人" in text and "迟到 1 人" in text and "缺席 1 人" in text
        page.screenshot(path="/tmp/orglife-attendance-phone.png", full_page=True)
        assert sec.actions <= 8
    outcomes = dict(
        Attendance.objects.filter(meeting=meeting).values_list("member__name", "outcome")
    )
    assert outcomes["王党员"] == Outcome.ABSENT and outcomes["张书记"] == Outcome.LEFT_EARLY
    assert outcomes["李党员"] == Outcome.LATE
    assert sum(1 for o in outcomes.values() if o == Outcome.PRESENT) == 27
