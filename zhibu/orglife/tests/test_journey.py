"""The organizational-life journey in a real browser, phones included.

A secretary schedules a 主题党日 on the branch's fixed party day and sends the notice; one member
asks for leave and is approved before the start; two members sign in through the QR link on
390×844 phones (one of them logs in on the way); a member without a smartphone is ticked on
the roster; the secretary records and confirms; the absentee completes the make-up; the
secretary confirms it. The secretary's burden (clicks, submissions, fields typed) is counted.

Time is moved with time_machine (tick=True), which the live server thread shares.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from zhibu.members.tests.factories import MemberFactory
from zhibu.orglife.models import (
    Attendance,
    LeaveRequest,
    Makeup,
    Meeting,
    MeetingStatus,
    Outcome,
)
from zhibu.orgs.tests.factories import UserFactory

SH = ZoneInfo("Asia/Shanghai")
# Monday; the branch's fixed party day is the 15th.
DAY_BEFORE = datetime(2026, 12, 14, 10, 0, tzinfo=SH)
BEFORE_START = datetime(2026, 12, 15, 8, 50, tzinfo=SH)
AFTER_END = datetime(2026, 12, 15, 12, 40, tzinfo=SH)
BURDEN_CEILING = 25


class Burden:
    """Counts what the secretary has to do: every click, submission and typed field."""

    def __init__(self, page):
        self.page = page
        self.actions = 0

    def click(self, selector: str, **kwargs):
        self.actions += 1
        self.page.click(selector, **kwargs)

    def fill(self, selector: str, value: str):
        self.actions += 1
        self.page.fill(selector, value)


def _member_with_account(world, name: str, phone: str):
    user = UserFactory(username=f"u{phone[-4:]}", phone=phone)
    member = MemberFactory(name=name, branch=world.branch, user=user, join_date=date(2012, 7, 1))
    return user, member


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_party_day_journey(world, page_for, live_server, settings):
    settings.ZHIBU_BASE_URL = live_server.url
    url = live_server.url
    world.branch.fixed_party_day = 15
    world.branch.save()
    chen, _ = _member_with_account(world, "陈党员", "13800000011")
    liu, _ = _member_with_account(world, "刘党员", "13800000012")
    zhou, zhou_member = _member_with_account(world, "周党员", "13800000013")

    with time_machine.travel(DAY_BEFORE, tick=True) as clock:
        # ---- the day before: schedule on the fixed party day with the defaults, send notice
        sec_page = page_for(world.secretary)
        sec = Burden(sec_page)
        sec.click("[data-testid=menu-meetings]")
        sec.click("[data-testid=schedule]")
        assert sec_page.input_value("[name=day]") == "2026-12-15"
        assert sec_page.input_value("[name=start_time]") == "09:00"
        assert sec_page.input_value("[name=end_time]") == "12:00"  # one half-day (180 minutes)
        sec.fill("[name=topic]", "重温入党誓词，学习党章")
        sec.fill("[name=place]", "三楼党员活动室")
        sec.click("[data-testid=save-meeting]")
        sec_page.wait_for_selector("[data-testid=meeting-topic]")
        meeting = Meeting.objects.get()
        assert meeting.meeting_type == "party_day"
        assert meeting.attendances.count() == 6
        sec.click("[data-testid=notify]")
        sec_page.wait_for_selector("text=已于")
        sec_phone = page_for(world.secretary, phone=True)  # only for the screenshots
        sec_phone.goto(f"{url}/orglife/orgs/{world.branch.pk}/?month=2026-12")
        sec_phone.screenshot(path="/tmp/orglife-calendar-phone.png", full_page=True)

        # ---- a member asks for leave from their phone, before the start
        liu_page = page_for(liu, phone=True)
        liu_page.click("[data-testid=menu-button]")  # the phone's menu drawer
        liu_page.click("[data-testid=menu-my]")
        liu_page.click("text=查看 / 请假 / 签到")
        liu_page.click("[data-testid=leave-open]")
        liu_page.fill("[name=reason]", "在省里参加培训")
        liu_page.click("[data-testid=leave-submit]")
        liu_page.wait_for_selector("text=请假申请已提交")

        # ---- the secretary approves it from the inbox
        sec.click("[data-testid=menu-leave]")
        sec.click("[data-testid^=approve-]")
        leave_pk = LeaveRequest.objects.get(member__user=liu).pk
        sec_page.wait_for_selector(f"#leave-{leave_pk} >> text=已批准")

        # ---- meeting morning: the sign-in screen on the projector
        clock.move_to(BEFORE_START)
        sec.click("[data-testid=menu-meetings]")
        sec.click(f"a[href='/orglife/meetings/{meeting.pk}/']")
        with sec_page.context.expect_page() as popup:
            sec.click("[data-testid=open-screen]")
        screen = popup.value
        screen.wait_for_selector("[data-testid=qr] svg")
        screen.screenshot(path="/tmp/orglife-screen.png")
        qr_url = screen.get_attribute("[data-testid=qr]", "data-signin-url")
        assert qr_url.startswith(f"{url}/orglife/meetings/{meeting.pk}/sign-in/?t=")
        assert screen.inner_text("[data-testid=signed-count]").startswith("0")

        # two members scan the QR code with their phones
        li = page_for(world.member_user, phone=True)
        li.goto(f"{url}/orglife/meetings/{meeting.pk}/")
        li.wait_for_selector("[data-testid=code-signin]")  # the code is the fallback
        li.screenshot(path="/tmp/orglife-meeting-member-phone.png", full_page=True)
        li.goto(qr_url)
        li.wait_for_selector("[data-testid=signin-button]")
        li.screenshot(path="/tmp/orglife-signin-phone.png", full_page=True)
        li.click("[data-testid=signin-button]")
        li.wait_for_selector("[data-testid=signin-ok]")
        li.screenshot(path="/tmp/orglife-signin-done-phone.png", full_page=True)

        chen_page = page_for(None, phone=True)  # not logged in yet on this phone
        chen_page.goto(qr_url)
        chen_page.fill("input[name=username]", chen.phone)
        chen_page.fill("input[name=password]", "pass-1234")
        chen_page.click("button[type=submit]")
        chen_page.click("[data-testid=signin-button]")
        chen_page.wait_for_selector("[data-testid=signin-ok]")

        # the screen's live count follows (htmx polling)
        screen.wait_for_function(
            "document.querySelector('[data-testid=signed-count]').innerText.startsWith('2')",
            timeout=70_000,
        )

        # the secretary ticks himself and the member without a smartphone
        sec_page.reload()
        sec.click(f"[data-testid=tick-{world.secretary_member.pk}]")
        sec_page.wait_for_selector(f"#att-{world.secretary_member.pk} >> text=书记勾选")
        sec.click(f"[data-testid=tick-{world.other_member.pk}]")
        sec_page.wait_for_selector(f"#att-{world.other_member.pk} >> text=书记勾选")

        # the secretary's meeting page on a phone
        sec_phone.goto(f"{url}/orglife/meetings/{meeting.pk}/")
        sec_phone.screenshot(path="/tmp/orglife-meeting-phone.png", full_page=True)

        # ---- after the meeting: record (real times prefilled from the plan) and confirm
        clock.move_to(AFTER_END)
        sec_page.reload()
        assert sec_page.input_value("[name=actual_start_time]") == "09:00"
        sec.fill(
            "[name=minutes]",
            "张书记领学党章总纲，全体党员重温入党誓词。李党员、陈党员交流了学习体会。",
        )
        sec.click("[data-testid=save-record]")
        sec_page.wait_for_selector("text=会议记录已保存")
        sec.click("[data-testid=confirm-record]")
        sec_page.wait_for_selector("[data-testid=meeting-status] >> text=已确认")
        meeting.refresh_from_db()
        assert meeting.status == MeetingStatus.CONFIRMED
        assert meeting.duration_minutes == 180  # the planned half-day, prefilled
        outcomes = dict(
            Attendance.objects.filter(meeting=meeting).values_list("member__name", "outcome")
        )
        assert outcomes == {
            "张书记": Outcome.PRESENT,
            "李党员": Outcome.PRESENT,
            "王党员": Outcome.PRESENT,
            "陈党员": Outcome.PRESENT,
            "刘党员": Outcome.ON_LEAVE,
            "周党员": Outcome.ABSENT,
        }
        assert Makeup.objects.filter(member__name__in=["刘党员", "周党员"]).count() == 2
        sec_phone.goto(f"{url}/orglife/meetings/{meeting.pk}/")
        sec_phone.screenshot(path="/tmp/orglife-meeting-locked-phone.png", full_page=True)
        sec_phone.goto(f"{url}/orglife/meetings/{meeting.pk}/sheet/")
        sec_phone.screenshot(path="/tmp/orglife-sheet-phone.png", full_page=True)

        # ---- the absentee sees the make-up task on the phone and completes it
        zhou_page = page_for(zhou, phone=True)
        zhou_page.goto(f"{url}/orglife/my/")
        zhou_page.wait_for_selector("[data-testid=my-makeup]")
        assert "请在 2027年1月14日 前完成" in zhou_page.inner_text("[data-testid=my-makeup]")
        zhou_page.fill("[name=reflection]", "认真学习了会议记录和党章总纲，对照检查了自己。")
        zhou_page.click("[data-testid=makeup-submit]")
        zhou_page.wait_for_selector("text=补课已提交")
        zhou_page.screenshot(path="/tmp/orglife-my-meetings-phone.png", full_page=True)

        # ---- the secretary confirms it
        sec.click("[data-testid=menu-makeups]")
        makeup = Makeup.objects.get(member=zhou_member)
        sec.click(f"[data-testid=makeup-confirm-{makeup.pk}]")
        sec_page.wait_for_selector("text=补课完成")
        makeup.refresh_from_db()
        assert makeup.is_done

    print(f"secretary burden: {sec.actions} actions")
    assert sec.actions <= BURDEN_CEILING


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_schedule_form_asks_for_late_entry_reason_only_for_old_dates(world, page_for, live_server):
    page = page_for(world.secretary, phone=True)
    page.goto(f"{live_server.url}/orglife/orgs/{world.branch.pk}/schedule/")
    assert page.is_hidden("#late-entry")
    assert page.is_hidden("#lecturer")
    page.fill("[name=day]", "2020-01-06")
    page.dispatch_event("[name=day]", "change")
    assert page.is_visible("#late-entry")
    page.select_option("[name=meeting_type]", "party_lecture")
    assert page.is_visible("#lecturer")
    page.fill("[name=topic]", "补记：党课")
    page.click("[data-testid=save-meeting]")
    page.wait_for_selector("text=属于补记；请填写补记原因")
    assert page.is_visible("#late-entry")
    page.fill("[name=late_entry_reason]", "按纸质记录补录")
    page.fill("[name=lecturer]", "张书记")
    page.click("[data-testid=save-meeting]")
    page.wait_for_selector("[data-testid=meeting-topic]")
    assert "补记" in page.inner_text("hgroup")
