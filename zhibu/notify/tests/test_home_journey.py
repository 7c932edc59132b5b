"""A secretary clears the home to-do list on a phone (390×844): approves a leave, confirms a
make-up, reads a report — each from the home item's link, back home until nothing is left to
decide."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from zhibu.orglife import services as orglife
from zhibu.orglife.models import LeaveRequest, LeaveStatus, Makeup
from zhibu.reports import services as reports
from zhibu.reports.models import ReportStatus, ThoughtReport

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SH = ZoneInfo("Asia/Shanghai")
PAST_START = datetime(2026, 10, 5, 14, 0, tzinfo=SH)
NEXT_START = datetime(2026, 10, 12, 14, 0, tzinfo=SH)
TODAY = datetime(2026, 10, 9, 10, 0, tzinfo=SH)


def _a_week_of_branch_life(world, clock) -> None:
    """Last Monday's meeting, which 李党员 missed and has made up by study; next Monday's,
    for which 李党员 asks for leave; and 李党员's thought report, submitted."""
    past = orglife.meeting_schedule(
        actor=world.secretary, org=world.branch, meeting_type="general_meeting",
        topic="学习党章", planned_start=PAST_START, planned_end=PAST_START + timedelta(hours=3),
    )  # fmt: skip
    clock.move_to(PAST_START + timedelta(minutes=1))
    for member in (world.secretary_member, world.other_member):
        orglife.sign_in(actor=world.secretary, meeting=past, method="roster", member=member)
    clock.move_to(PAST_START + timedelta(hours=4))
    orglife.meeting_record(
        actor=world.secretary, meeting=past, actual_start=PAST_START,
        actual_end=PAST_START + timedelta(hours=3), minutes="<p>会议记录</p>",
    )  # fmt: skip
    orglife.record_confirm(actor=world.secretary, meeting=past)
    makeup = Makeup.objects.get(member=world.member)
    orglife.makeup_submit(
        actor=world.member_user, makeup=makeup, method="study", reflection="学习了会议记录"
    )
    clock.move_to(TODAY)
    upcoming = orglife.meeting_schedule(
        actor=world.secretary, org=world.branch, meeting_type="general_meeting",
        topic="学习党的二十届四中全会精神", planned_start=NEXT_START,
        planned_end=NEXT_START + timedelta(hours=3), agenda="传达学习",
    )  # fmt: skip
    orglife.meeting_notify(actor=world.secretary, meeting=upcoming)
    orglife.leave_request(actor=world.member_user, meeting=upcoming, reason="出差在外")
    reports.report_save(
        actor=world.member_user, title="第三季度思想汇报", body="学习党章的体会。", submit=True
    )


def test_secretary_clears_the_home_to_do_list_on_a_phone(world, page_for, live_server, tmp_path):
    with time_machine.travel(PAST_START - timedelta(days=4), tick=False) as clock:
        _a_week_of_branch_life(world, clock)
    leave = LeaveRequest.objects.get(member=world.member)
    makeup = Makeup.objects.get(member=world.member)
    report = ThoughtReport.objects.get(member=world.member)
    home = live_server.url + "/"
    actions = 0

    with time_machine.travel(TODAY + timedelta(minutes=5), tick=True):
        page = page_for(world.secretary, phone=True)
        page.goto(home)
        decide = page.get_by_test_id("todo-decide")
        assert decide.inner_text().split("\n") == [
            "1 条请假待审批",
            "1 项补课已提交，待确认",
            "1 份思想汇报待审阅",
        ]

        # Approve the leave (htmx swaps the row in place).
        decide.get_by_role("link", name="1 条请假待审批").click()
        page.get_by_test_id(f"approve-{leave.pk}").click()
        page.locator(f"#leave-{leave.pk}").get_by_text("已批准").wait_for()
        actions += 2
        leave.refresh_from_db()
        assert leave.status == LeaveStatus.APPROVED

        # Confirm the make-up 李党员 submitted.
        page.goto(home)
        page.get_by_test_id("todo-decide").get_by_role(
            "link", name="1 项补课已提交，待确认"
        ).click()
        assert "学习了会议记录" in page.content()
        page.get_by_test_id(f"makeup-confirm-{makeup.pk}").click()
        page.wait_for_load_state()
        actions += 2
        makeup.refresh_from_db()
        assert makeup.is_done and makeup.confirmed_by == world.secretary

        # Read the report and send a comment back.
        page.goto(home)
        page.get_by_test_id("todo-decide").get_by_role("link", name="1 份思想汇报待审阅").click()
        page.get_by_test_id("to-review").get_by_role(
            "link", name="李党员：第三季度思想汇报"
        ).click()
        assert "学习党章的体会。" in page.content()
        page.get_by_test_id("comment").fill("体会真切，继续保持。")
        page.get_by_test_id("send-comment").click()
        page.get_by_test_id("review-comment").wait_for()
        actions += 4
        report.refresh_from_db()
        assert report.status == ReportStatus.REVIEWED and report.reviewed_by == world.secretary

        # Home: nothing left to decide; the coming meeting is still listed, ready.
        page.goto(home)
        assert page.get_by_test_id("todo-decide").count() == 0
        meetings = page.get_by_test_id("todo-meetings").inner_text()
        assert "学习党的二十届四中全会精神" in meetings and "通知已发，议程已定" in meetings
        # Nothing on the page is wider than the phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=tmp_path / "home-cleared.png", full_page=True)
    assert actions == 8  # four links, two decisions, one comment typed and sent
