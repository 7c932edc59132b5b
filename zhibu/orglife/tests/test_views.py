"""Organizational-life pages: the permission matrix, behaviour through the pages, query counts."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from zhibu.members.tests.factories import MemberFactory
from zhibu.orglife import services
from zhibu.orglife.models import (
    Amendment,
    Attendance,
    LeaveRequest,
    LeaveStatus,
    Makeup,
    Meeting,
    MeetingStatus,
    Outcome,
)
from zhibu.orgs.tests.factories import UserFactory

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 10, 8, 0, tzinfo=SH)
# A 1×1 PNG, so the content sniffer sees a real image.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def schedule(world, *, start: datetime | None = None, hours: float = 3.5, **extra) -> Meeting:
    start = start or NOW + timedelta(days=2, hours=1)
    fields = {"meeting_type": "party_day", "topic": "学习党章", "place": "三楼会议室"}
    fields.update(extra)
    return services.meeting_schedule(
        actor=world.secretary,
        org=world.branch,
        planned_start=start,
        planned_end=start + timedelta(hours=hours),
        **fields,
    )


@pytest.fixture
def meeting(world) -> Meeting:
    return schedule(world)


@pytest.fixture
def live_meeting(world) -> Meeting:
    """A meeting starting in ten minutes: sign-in is open."""
    return schedule(world, start=NOW + timedelta(minutes=10), topic="主题党日：重温入党誓词")


def client_for(client, user):
    if user is not None:
        client.force_login(user)
    return client


USERS = ["anonymous", "outsider", "member_user", "secretary", "sibling_secretary", "admin"]


def user_of(world, name):
    return None if name == "anonymous" else getattr(world, name)


# --------------------------------------------------------------------------- permission matrix

VIEW_ONLY = {
    "anonymous": 302,
    "outsider": 404,
    "member_user": 200,
    "secretary": 200,
    "sibling_secretary": 404,
    "admin": 200,
}
MANAGE_ONLY = {**VIEW_ONLY, "member_user": 404}
ANY_LOGGED_IN = {name: (302 if name == "anonymous" else 200) for name in USERS}


@pytest.mark.parametrize("who", USERS)
@pytest.mark.parametrize(
    "page, expected",
    [
        ("calendar", VIEW_ONLY),
        ("schedule", MANAGE_ONLY),
        ("meeting", VIEW_ONLY),
        ("meeting_edit", MANAGE_ONLY),
        ("signin_screen", MANAGE_ONLY),
        ("signin_screen_live", MANAGE_ONLY),
        ("signin_sheet", MANAGE_ONLY),
        ("meeting_signin", VIEW_ONLY),
        ("my_meetings", ANY_LOGGED_IN),
        ("leave_inbox", ANY_LOGGED_IN),
        ("makeups", ANY_LOGGED_IN),
    ],
)
def test_page_matrix(client, world, meeting, who, page, expected):
    if page in ("calendar", "schedule"):
        url = reverse(f"orglife:{page}", args=[world.branch.pk])
    elif page in ("my_meetings", "leave_inbox", "makeups"):
        url = reverse(f"orglife:{page}")
    else:
        url = reverse(f"orglife:{page}", args=[meeting.pk])
    response = client_for(client, user_of(world, who)).get(url)
    assert response.status_code == expected[who], (page, who)
    if response.status_code == 302:
        assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("who", USERS)
def test_post_matrix_for_secretary_actions(client, world, meeting, who):
    """Every write of the secretary's page is 404 out of scope and for plain members."""
    c = client_for(client, user_of(world, who))
    posts = [
        (reverse("orglife:meeting_notify", args=[meeting.pk]), {}),
        (reverse("orglife:roster_tick", args=[meeting.pk, world.other_member.pk]), {}),
        (reverse("orglife:meeting_cancel", args=[meeting.pk]), {"reason": "x"}),
        (reverse("orglife:record_confirm", args=[meeting.pk]), {}),
    ]
    for url, data in posts:
        response = c.post(url, data)
        if who == "anonymous":
            assert response.status_code == 302
        elif who in ("outsider", "member_user", "sibling_secretary"):
            assert response.status_code == 404, (url, who)
        else:
            assert response.status_code in (200, 302), (url, who)
    meeting.refresh_from_db()
    if who in ("anonymous", "outsider", "member_user", "sibling_secretary"):
        assert meeting.notice_sent_at is None
        assert meeting.status == MeetingStatus.PLANNED


def test_menu_links_follow_rights(client, world):
    client.force_login(world.member_user)
    html = client.get(reverse("orglife:my_meetings")).content.decode()
    assert 'data-testid="menu-my"' in html
    assert 'data-testid="menu-leave"' not in html
    assert 'data-testid="menu-makeups"' not in html
    client.force_login(world.secretary)
    html = client.get(reverse("orglife:my_meetings")).content.decode()
    assert 'data-testid="menu-leave"' in html
    assert 'data-testid="menu-makeups"' in html


def test_index_goes_to_own_branch(client, world):
    client.force_login(world.member_user)
    response = client.get(reverse("orglife:index"))
    assert response["Location"] == reverse("orglife:calendar", args=[world.branch.pk])
    client.force_login(world.outsider)
    assert client.get(reverse("orglife:index"))["Location"] == reverse("orglife:my_meetings")


# --------------------------------------------------------------------------- calendar


def test_calendar_shows_meetings_party_day_and_schedule_button(client, world, meeting):
    world.branch.fixed_party_day = 12
    world.branch.save()
    client.force_login(world.secretary)
    html = client.get(reverse("orglife:calendar", args=[world.branch.pk])).content.decode()
    assert "学习党章" in html
    assert "party-day" in html
    assert 'data-testid="schedule"' in html
    client.force_login(world.member_user)
    html = client.get(reverse("orglife:calendar", args=[world.branch.pk])).content.decode()
    assert "学习党章" in html
    assert 'data-testid="schedule"' not in html


def test_calendar_month_navigation_and_list_partial(client, world, meeting):
    client.force_login(world.secretary)
    url = reverse("orglife:calendar", args=[world.branch.pk])
    response = client.get(url, {"month": "2026-04", "view": "list"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html  # the htmx partial only
    assert "2026年4月" in html
    assert "学习党章" not in html
    assert "本月还没有安排组织生活" in html
    # nonsense month falls back to the current one
    assert "2026年3月" in client.get(url, {"month": "garbage"}).content.decode()


def test_calendar_query_count_does_not_grow_with_meetings(client, world, django_assert_num_queries):
    client.force_login(world.secretary)
    url = reverse("orglife:calendar", args=[world.branch.pk])
    schedule(world)
    client.get(url)  # warm-up (session, content types)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    few = len(ctx.captured_queries)
    for day in range(3, 20):
        schedule(world, start=NOW + timedelta(days=day), topic=f"第{day}次")
    with django_assert_num_queries(few):
        response = client.get(url)
    assert response.content.decode().count('class="chip') == 18


def test_committee_calendar_is_grouped_by_branch_with_a_filter(
    client, world, django_assert_max_num_queries
):
    """The 工委's month reads branch by branch with the branch names; the filter narrows it to
    one branch (grid then); the query count does not grow with branches or meetings."""
    schedule(world, topic="第一支部学习")
    sibling = services.meeting_schedule(
        actor=world.sibling_secretary,
        org=world.sibling,
        meeting_type="party_day",
        topic="第二支部学习",
        planned_start=NOW + timedelta(days=3),
        planned_end=NOW + timedelta(days=3, hours=3),
    )
    client.force_login(world.admin)
    url = reverse("orglife:calendar", args=[world.committee.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        html = client.get(url).content.decode()
    few = len(ctx.captured_queries)
    groups = re.findall(r'data-testid="branch-group">\s*<h3><a href="[^"]+">([^<]+)</a>', html)
    assert groups == ["第一党支部", "第二党支部"]
    assert 'data-testid="branch-filter"' in html and 'class="chip' not in html
    for i in range(5):
        services.meeting_schedule(
            actor=world.sibling_secretary,
            org=world.sibling,
            meeting_type="party_day",
            topic=f"加场{i}",
            planned_start=NOW + timedelta(days=4 + i),
            planned_end=NOW + timedelta(days=4 + i, hours=3),
        )
    with django_assert_max_num_queries(few):
        client.get(url)
    picked = client.get(url, {"branch": world.sibling.pk}, HTTP_HX_REQUEST="true")
    body = picked.content.decode()
    assert "<html" not in body and "第二支部学习" in body and "第一支部学习" not in body
    assert f'<option value="{world.sibling.pk}" selected>' in body
    assert f'href="/orglife/meetings/{sibling.pk}/"' in body
    # month navigation keeps the filter
    assert f"branch={world.sibling.pk}" in body.split('aria-label="上个月"')[0]


# --------------------------------------------------------------------------- schedule / edit


def test_schedule_form_defaults_to_fixed_party_day_and_half_day(client, world):
    world.branch.fixed_party_day = 15
    world.branch.save()
    client.force_login(world.secretary)
    html = client.get(reverse("orglife:schedule", args=[world.branch.pk])).content.decode()
    assert 'value="2026-03-15"' in html
    assert 'value="09:00"' in html
    assert 'value="12:00"' in html  # one half-day: the registry's 180 minutes
    assert '<option value="party_day" selected>' in html
    assert "party_group_meeting" not in html  # held by the party group, not the branch


def test_schedule_creates_meeting_with_due_attendees(client, world):
    client.force_login(world.secretary)
    response = client.post(
        reverse("orglife:schedule", args=[world.branch.pk]),
        {
            "meeting_type": "party_day",
            "topic": "学习二十大精神",
            "content_category": "political_study",
            "day": "2026-03-12",
            "start_time": "09:00",
            "end_time": "12:30",
            "place": "会议室",
        },
    )
    meeting = Meeting.objects.get(topic="学习二十大精神")
    assert response["Location"] == reverse("orglife:meeting", args=[meeting.pk])
    assert meeting.planned_start == datetime(2026, 3, 12, 9, 0, tzinfo=SH)
    assert set(meeting.attendances.values_list("member_id", flat=True)) == {
        world.secretary_member.pk,
        world.member.pk,
        world.other_member.pk,
    }


def test_schedule_errors_are_shown_and_nothing_written(client, world):
    client.force_login(world.secretary)
    url = reverse("orglife:schedule", args=[world.branch.pk])
    data = {
        "meeting_type": "party_day",
        "topic": "补开的党日",
        "content_category": "political_study",
        "day": "2026-03-12",
        "start_time": "12:00",
        "end_time": "09:00",
    }
    html = client.post(url, data).content.decode()
    assert "结束时间应晚于开始时间" in html
    # Far in the past: a 补记 needs its reason, shown next to the reason field.
    data.update(day="2026-02-01", start_time="09:00", end_time="12:30")
    html = client.post(url, data).content.decode()
    assert "属于补记；请填写补记原因" in html
    assert 'aria-invalid="true"' in html
    assert not Meeting.objects.exists()
    data["late_entry_reason"] = "当时系统未上线，按纸质记录补记"
    client.post(url, data)
    assert Meeting.objects.get().is_late_entry


def test_edit_moves_meeting(client, world, meeting):
    client.force_login(world.secretary)
    url = reverse("orglife:meeting_edit", args=[meeting.pk])
    html = client.get(url).content.decode()
    assert 'value="学习党章"' in html
    client.post(
        url,
        {
            "topic": "学习新党章",
            "content_category": "political_study",
            "day": "2026-03-13",
            "start_time": "14:00",
            "end_time": "17:30",
            "place": "会议室",
        },
    )
    meeting.refresh_from_db()
    assert meeting.topic == "学习新党章"
    assert meeting.planned_start == datetime(2026, 3, 13, 14, 0, tzinfo=SH)
    assert meeting.meeting_type == "party_day"


# --------------------------------------------------------------------------- meeting page


def test_member_view_shows_own_status_not_the_roster(client, world, meeting):
    client.force_login(world.member_user)
    html = client.get(reverse("orglife:meeting", args=[meeting.pk])).content.decode()
    assert 'data-testid="my-status"' in html
    assert "王党员" not in html  # other members' attendance is the secretary's business
    assert 'data-testid="leave-open"' in html
    assert 'data-testid="notify"' not in html


def test_secretary_view_has_roster_and_actions(client, world, meeting):
    client.force_login(world.secretary)
    html = client.get(reverse("orglife:meeting", args=[meeting.pk])).content.decode()
    for text in ("王党员", "李党员", "应到 3 人", 'data-testid="notify"', "签到大屏", "打印签到表"):
        assert text in html


def test_notify_makes_the_meeting_visible_in_my_meetings(client, world, meeting):
    client.force_login(world.member_user)
    assert "学习党章" not in client.get(reverse("orglife:my_meetings")).content.decode()
    client.force_login(world.secretary)
    client.post(reverse("orglife:meeting_notify", args=[meeting.pk]))
    client.force_login(world.member_user)
    html = client.get(reverse("orglife:my_meetings")).content.decode()
    assert "学习党章" in html and 'data-testid="upcoming"' in html


def test_roster_tick_by_htmx_returns_the_row(client, world, meeting):
    client.force_login(world.secretary)
    url = reverse("orglife:roster_tick", args=[meeting.pk, world.other_member.pk])
    response = client.post(url, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith("<tr")
    assert "王党员" in html and "书记勾选" in html
    att = Attendance.objects.get(meeting=meeting, member=world.other_member)
    assert att.sign_in_method == "roster" and att.outcome == Outcome.PRESENT
    # a second tick says so instead of writing twice
    html = client.post(url, HTTP_HX_REQUEST="true").content.decode()
    assert "不能重复签到" in html


def test_roster_tick_unknown_member_is_404(client, world, meeting):
    client.force_login(world.secretary)
    url = reverse("orglife:roster_tick", args=[meeting.pk, world.sibling_member.pk])
    assert client.post(url).status_code == 404


def test_leave_request_and_approval(client, world, meeting):
    client.force_login(world.member_user)
    url = reverse("orglife:leave_request", args=[meeting.pk])
    html = client.post(url, {"reason": ""}).content.decode()
    assert "这个字段是必填项" in html or "必填" in html
    client.post(url, {"reason": "出差"})
    leave = LeaveRequest.objects.get(meeting=meeting, member=world.member)
    assert leave.status == LeaveStatus.PENDING
    # the member cannot decide; the sibling secretary cannot see it
    decide = reverse("orglife:leave_decide", args=[leave.pk])
    assert client.post(decide, {"approve": "1"}).status_code == 404
    client.force_login(world.sibling_secretary)
    assert client.post(decide, {"approve": "1"}).status_code == 404
    client.force_login(world.secretary)
    inbox = client.get(reverse("orglife:leave_inbox")).content.decode()
    assert "出差" in inbox and "李党员" in inbox
    html = client.post(decide, {"approve": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert "已批准" in html
    leave.refresh_from_db()
    assert leave.status == LeaveStatus.APPROVED and leave.excuses
    assert "没有待审批的请假" in client.get(reverse("orglife:leave_inbox")).content.decode()


def test_meeting_page_query_count_does_not_grow_with_attendees(
    client, world, django_assert_num_queries
):
    client.force_login(world.secretary)
    few = schedule(world, topic="少")
    client.get(reverse("orglife:meeting", args=[few.pk]))  # warm-up
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("orglife:meeting", args=[few.pk]))
    count = len(ctx.captured_queries)
    for i in range(12):
        MemberFactory(name=f"新党员{i}", branch=world.branch, join_date=date(2015, 1, 1))
    many = schedule(world, topic="多")
    leaver = Attendance.objects.filter(meeting=many).exclude(member=world.member).first()
    LeaveRequest.objects.create(meeting=many, member=leaver.member, reason="病假", requested_at=NOW)
    with django_assert_num_queries(count):
        html = client.get(reverse("orglife:meeting", args=[many.pk])).content.decode()
    assert "应到 15 人" in html
    assert "病假" in html


# --------------------------------------------------------------------------- sign-in


def test_phone_signin_via_qr_link(client, world, live_meeting):
    url = services.signin_url(live_meeting)
    path = url[url.index("/orglife/") :]
    # not logged in: to the login page, and back here afterwards
    response = client.get(path)
    assert response.status_code == 302
    assert "next=" in response["Location"]
    client.force_login(world.member_user)
    html = client.get(path).content.decode()
    assert 'data-testid="signin-button"' in html
    token = path.split("t=")[1]
    response = client.post(path, {"t": token})
    assert 'data-testid="signin-ok"' in response.content.decode()
    att = Attendance.objects.get(meeting=live_meeting, member=world.member)
    assert att.sign_in_method == "qr" and att.outcome == Outcome.PRESENT
    # opening the link again just says so
    assert 'data-testid="signin-ok"' in client.get(path).content.decode()


def test_phone_signin_explains_problems(client, world, live_meeting, frozen):
    path = reverse("orglife:meeting_signin", args=[live_meeting.pk])
    token = services.signin_token(live_meeting)
    client.force_login(world.admin)  # may see the meeting, but is not due
    html = client.get(path, {"t": token}).content.decode()
    assert "不在本次会议的应到人员名单中" in html
    client.force_login(world.member_user)
    html = client.get(path, {"t": "forged"}).content.decode()
    assert "签到二维码无效" in html
    frozen.shift(timedelta(minutes=20))
    html = client.get(path, {"t": token}).content.decode()
    assert "已过期" in html
    html = client.post(path, {"t": token}).content.decode()
    assert "已过期" in html
    assert not Attendance.objects.filter(meeting=live_meeting, signed_in_at__isnull=False).exists()


def test_code_signin_accepts_fullwidth_digits(client, world, live_meeting):
    client.force_login(world.member_user)
    url = reverse("orglife:signin_code", args=[live_meeting.pk])
    html = client.post(url, {"code": "12"}).content.decode()
    assert "签到码是6位数字" in html
    wrong = "000000" if services.signin_code(live_meeting) != "000000" else "111111"
    assert "签到码不正确" in client.post(url, {"code": wrong}).content.decode()
    fullwidth = services.signin_code(live_meeting).translate(
        {ord(str(d)): 0xFF10 + d for d in range(10)}
    )
    response = client.post(url, {"code": fullwidth})
    assert response.status_code == 302
    att = Attendance.objects.get(meeting=live_meeting, member=world.member)
    assert att.sign_in_method == "code"


def test_signin_screen_shows_qr_code_and_count(client, world, live_meeting):
    client.force_login(world.secretary)
    html = client.get(reverse("orglife:signin_screen", args=[live_meeting.pk])).content.decode()
    assert "<svg" in html
    assert services.signin_code(live_meeting)[:3] in html
    assert 'hx-trigger="every 60s"' in html
    match = re.search(r'data-signin-url="([^"]+)"', html)
    assert match and f"/orglife/meetings/{live_meeting.pk}/sign-in/?t=" in match[1]
    services.sign_in(
        actor=world.secretary, meeting=live_meeting, method="roster", member=world.other_member
    )
    live = reverse("orglife:signin_screen_live", args=[live_meeting.pk])
    html = client.get(live, HTTP_HX_REQUEST="true").content.decode()
    assert re.search(r'data-testid="signed-count">1 <small>/ 3', html)


def test_printable_sheet(client, world, meeting):
    client.force_login(world.secretary)
    html = client.get(reverse("orglife:signin_sheet", args=[meeting.pk])).content.decode()
    assert "第一党支部 主题党日签到表" in html
    assert html.count('<td class="sig"></td>') == 3
    assert "orglife-print.css" in html


# --------------------------------------------------------------------------- record, lock, make-up


def _record(client, meeting, **extra):
    data = {
        "actual_day": "2026-03-10",
        "actual_start_time": "09:00",
        "actual_end_time": "12:30",
        "minutes": "<p>学习了党章。</p><script>alert(1)</script>",
        "decisions": "开展志愿服务\n\n整理学习笔记",
    }
    data.update(extra)
    return client.post(reverse("orglife:meeting_record", args=[meeting.pk]), data)


def test_record_confirm_amend_and_makeup_cycle(client, world, frozen):
    meeting = schedule(world, start=NOW + timedelta(hours=1))
    client.force_login(world.secretary)
    client.post(reverse("orglife:roster_tick", args=[meeting.pk, world.secretary_member.pk]))
    # before the meeting took place the record cannot be written
    html = _record(client, meeting).content.decode()
    assert "实际开始时间不能晚于现在" in html
    frozen.move_to(NOW + timedelta(hours=5))
    response = _record(client, meeting)
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD
    assert "<script>" not in meeting.minutes
    assert list(meeting.decisions.values_list("text", flat=True)) == [
        "开展志愿服务",
        "整理学习笔记",
    ]
    response = client.post(reverse("orglife:record_confirm", args=[meeting.pk]))
    meeting.refresh_from_db()
    assert meeting.is_locked
    outcomes = dict(meeting.attendances.values_list("member__name", "outcome"))
    assert outcomes == {"张书记": "present", "李党员": "absent", "王党员": "absent"}
    page = client.get(reverse("orglife:meeting", args=[meeting.pk])).content.decode()
    assert "学习了党章" in page and "alert(1)" not in page
    assert 'data-testid="save-record"' not in page  # locked
    # 补记: a reason is required; the history keeps the old value
    amend_url = reverse("orglife:meeting_amend", args=[meeting.pk])
    html = client.post(amend_url, {"field": "place", "value": "党员活动室"}).content.decode()
    assert "这个字段是必填项" in html or "必填" in html
    client.post(
        amend_url,
        {
            "field": f"attendance:{world.other_member.pk}",
            "value": "出席",
            "reason": "纸质签到表补录",
        },
    )
    amendment = Amendment.objects.get(meeting=meeting)
    assert (amendment.old_value, amendment.new_value) == ("absent", "present")
    page = client.get(reverse("orglife:meeting", args=[meeting.pk])).content.decode()
    assert "纸质签到表补录" in page
    # the absentee sees the make-up and submits a reflection
    client.force_login(world.member_user)
    mine = client.get(reverse("orglife:my_meetings")).content.decode()
    assert 'data-testid="my-makeup"' in mine
    makeup = Makeup.objects.get(member=world.member)
    submit = reverse("orglife:makeup_submit", args=[makeup.pk])
    html = client.post(submit, {"method": "study", "reflection": ""}).content.decode()
    assert "请写几句学习心得" in html
    client.post(submit, {"method": "study", "reflection": "认真学习了会议记录和党章。"})
    makeup.refresh_from_db()
    assert makeup.submitted_at is not None
    # another member cannot submit or confirm it
    client.force_login(world.sibling_secretary)
    assert client.post(submit, {"method": "study", "reflection": "x"}).status_code == 404
    complete = reverse("orglife:makeup_complete", args=[makeup.pk])
    assert client.post(complete).status_code == 404
    # the secretary confirms it from the make-up list
    client.force_login(world.secretary)
    listing = client.get(reverse("orglife:makeups")).content.decode()
    assert "认真学习了会议记录和党章" in listing
    client.post(complete)
    makeup.refresh_from_db()
    assert makeup.is_done


def test_makeup_list_overdue_and_confirm_without_phone(client, world, frozen):
    meeting = schedule(world, start=NOW + timedelta(hours=1))
    frozen.move_to(NOW + timedelta(hours=5))
    client.force_login(world.secretary)
    _record(client, meeting)
    client.post(reverse("orglife:record_confirm", args=[meeting.pk]))
    assert Makeup.objects.count() == 3
    frozen.move_to(NOW + timedelta(days=40))
    client.force_login(world.secretary)  # the session of 40 days ago has expired
    html = client.get(reverse("orglife:makeups"), {"overdue": "1"}).content.decode()
    assert html.count('data-testid="makeup-row"') == 3
    assert "已逾期" in html
    makeup = Makeup.objects.get(member=world.other_member)
    client.post(reverse("orglife:makeup_complete", args=[makeup.pk]), {"reflection": "已送学上门"})
    makeup.refresh_from_db()
    assert makeup.is_done and makeup.reflection == "已送学上门"
    html = client.get(reverse("orglife:makeups"), {"overdue": "1"}).content.decode()
    assert html.count('data-testid="makeup-row"') == 2


def test_makeups_query_count_does_not_grow(client, world, frozen, django_assert_num_queries):
    client.force_login(world.secretary)
    meeting = schedule(world, start=NOW + timedelta(hours=1))
    frozen.move_to(NOW + timedelta(hours=5))
    _record(client, meeting)
    client.post(reverse("orglife:record_confirm", args=[meeting.pk]))
    client.get(reverse("orglife:makeups"))
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("orglife:makeups"))
    count = len(ctx.captured_queries)
    for i in range(8):
        MemberFactory(name=f"新党员{i}", branch=world.branch, join_date=date(2015, 1, 1))
    second = schedule(world, start=NOW + timedelta(hours=6), topic="第二次")
    frozen.move_to(NOW + timedelta(hours=12))
    _record(client, second, actual_start_time="14:00", actual_end_time="17:30")
    client.post(reverse("orglife:record_confirm", args=[second.pk]))
    with django_assert_num_queries(count):
        html = client.get(reverse("orglife:makeups")).content.decode()
    assert html.count('data-testid="makeup-row"') == 3 + 11


def test_attachment_upload_and_scoped_download(client, world, meeting):
    client.force_login(world.secretary)
    url = reverse("orglife:attachment_add", args=[meeting.pk])
    bad = SimpleUploadedFile("evil.png", b"<script>alert(1)</script>", content_type="image/png")
    html = client.post(url, {"upload": bad}).content.decode()
    assert "不是扩展名所表示的文件类型" in html
    client.post(url, {"upload": SimpleUploadedFile("photo.png", PNG, content_type="image/png")})
    attachment = meeting.attachments.get()
    download = reverse("orglife:attachment", args=[attachment.pk])
    client.force_login(world.member_user)
    response = client.get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    client.force_login(world.sibling_secretary)
    assert client.get(download).status_code == 404
    attachment.file.delete()


def test_my_meetings_for_user_without_member(client, world):
    client.force_login(UserFactory())
    html = client.get(reverse("orglife:my_meetings")).content.decode()
    assert "没有关联党员信息" in html


def test_plain_text_minutes_become_paragraphs(client, world, frozen):
    meeting = schedule(world, start=NOW + timedelta(hours=1))
    frozen.move_to(NOW + timedelta(hours=5))
    client.force_login(world.secretary)
    _record(client, meeting, minutes="第一项：学习党章\n\n第二项：a < b 的讨论")
    client.post(reverse("orglife:record_confirm", args=[meeting.pk]))
    page = client.get(reverse("orglife:meeting", args=[meeting.pk])).content.decode()
    assert "<p>第一项：学习党章</p>" in page
    assert "a &lt; b" in page and "&amp;lt;" not in page and "&lt;p&gt;" not in page


def test_cancel_needs_reason_and_shows_in_my_meetings(client, world, meeting):
    client.force_login(world.secretary)
    client.post(reverse("orglife:meeting_notify", args=[meeting.pk]))
    url = reverse("orglife:meeting_cancel", args=[meeting.pk])
    html = client.post(url, {"reason": ""}).content.decode()
    assert "必填" in html
    client.post(url, {"reason": "与县委全会冲突，改期"})
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CANCELLED
    client.force_login(world.member_user)
    html = client.get(reverse("orglife:my_meetings")).content.decode()
    assert "已取消" in html
    html = client.get(reverse("orglife:meeting", args=[meeting.pk])).content.decode()
    assert "与县委全会冲突，改期" in html
    assert 'data-testid="leave-open"' not in html


def test_party_group_meeting_is_scheduled_from_the_group(client, world):
    client.force_login(world.secretary)
    html = client.get(reverse("orglife:schedule", args=[world.group.pk])).content.decode()
    assert '<option value="party_group_meeting" selected>' in html
    assert 'value="party_day"' not in html
    client.post(
        reverse("orglife:schedule", args=[world.group.pk]),
        {
            "meeting_type": "party_group_meeting",
            "topic": "小组学习",
            "content_category": "political_study",
            "day": "2026-03-12",
            "start_time": "15:00",
            "end_time": "16:30",
        },
    )
    meeting = Meeting.objects.get(topic="小组学习")
    assert list(meeting.attendances.values_list("member__name", flat=True)) == ["李党员"]


def test_my_meetings_query_count_does_not_grow(client, world, django_assert_num_queries):
    client.force_login(world.member_user)
    url = reverse("orglife:my_meetings")
    services.meeting_notify(actor=world.secretary, meeting=schedule(world))
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    count = len(ctx.captured_queries)
    for day in range(3, 12):
        m = schedule(world, start=NOW + timedelta(days=day), topic=f"第{day}次")
        services.meeting_notify(actor=world.secretary, meeting=m)
    with django_assert_num_queries(count):
        html = client.get(url).content.decode()
    assert html.count('data-testid="upcoming"') == 10


def test_leave_inbox_query_count_does_not_grow(client, world, django_assert_num_queries):
    client.force_login(world.secretary)
    url = reverse("orglife:leave_inbox")
    members = [world.member, world.other_member] + [
        MemberFactory(name=f"新党员{i}", branch=world.branch, join_date=date(2015, 1, 1))
        for i in range(6)
    ]
    first = schedule(world)
    LeaveRequest.objects.create(meeting=first, member=world.member, reason="出差", requested_at=NOW)
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    count = len(ctx.captured_queries)
    second = schedule(world, start=NOW + timedelta(days=5), topic="第二次")
    for m in members:
        LeaveRequest.objects.create(meeting=second, member=m, reason="病假", requested_at=NOW)
    with django_assert_num_queries(count):
        html = client.get(url).content.decode()
    assert html.count('data-testid="leave-row"') == 1 + len(members)


def test_phone_signin_on_cancelled_meeting_says_so(client, world, live_meeting):
    services.meeting_cancel(actor=world.secretary, meeting=live_meeting, reason="改期")
    client.force_login(world.member_user)
    path = reverse("orglife:meeting_signin", args=[live_meeting.pk])
    token = services.signin_token(live_meeting)
    html = client.post(path, {"t": token}).content.decode()
    assert "本次会议已取消" in html
    assert not Attendance.objects.filter(signed_in_at__isnull=False).exists()


def _hold(world, frozen, start: datetime) -> Meeting:
    """A party day held at `start` with nobody signed in, confirmed: every due member absent."""
    frozen.move_to(start - timedelta(days=1))
    meeting = schedule(world, start=start)
    frozen.move_to(start + timedelta(hours=5))
    services.meeting_record(
        actor=world.secretary,
        meeting=meeting,
        actual_start=start,
        actual_end=start + timedelta(hours=3, minutes=30),
        minutes="<p>学习党章</p>",
    )
    return services.record_confirm(actor=world.secretary, meeting=meeting)


def test_makeups_by_what_needs_action_paginated_with_years(
    client, world, frozen, django_assert_max_num_queries
):
    """Open make-ups: the overdue first (newest deadline first), then those still running; a
    confirmed one is only under 已完成; 30 to a page; a deadline of last year says its year."""
    meetings = [_hold(world, frozen, datetime(2025, 11, 2 + i, 14, tzinfo=SH)) for i in range(11)]
    current = _hold(world, frozen, datetime(2026, 3, 1, 9, tzinfo=SH))
    done = Makeup.objects.get(attendance__meeting=meetings[0], member=world.other_member)
    services.makeup_complete(actor=world.secretary, makeup=done, method="study", reflection="送学")
    frozen.move_to(NOW)
    assert Makeup.objects.count() == 36  # 3 due members × 12 meetings
    client.force_login(world.secretary)
    with django_assert_max_num_queries(12):
        first = client.get(reverse("orglife:makeups")).content.decode()
    rows = re.findall(r'data-testid="makeup-row".*?期限 ([^<·]+)', first, re.S)
    assert len(rows) == 30
    assert rows[0].strip() == "2025年12月12日" and rows[-1].strip() == "2025年12月3日"
    tabs = re.sub(r"\s+", " ", first[first.index("makeup-tabs") : first.index("</p>")])
    for tab in ("全部未完成 35", "已逾期 32", "待确认 0", "已完成 1"):
        assert tab in tabs, tab
    assert "第 1/2 页，共 35 条" in first and "page=2" in first
    with django_assert_max_num_queries(12):
        second = client.get(reverse("orglife:makeups"), {"page": 2}).content.decode()
    rows = re.findall(r'data-testid="makeup-row".*?期限 ([^<·]+)', second, re.S)
    assert [r.strip() for r in rows] == ["2025年12月2日"] * 2 + ["3月31日"] * 3
    assert f'makeup-confirm-{done.pk}"' not in first + second
    finished = client.get(reverse("orglife:makeups"), {"state": "done"}).content.decode()
    assert finished.count('data-testid="makeup-row"') == 1 and "已确认完成" in finished
    assert current.pk and "已完成 1" in re.sub(r"\s+", " ", finished)


# --------------------------------------------------------------------------- attendance in seconds


def _counts(html: str) -> str:
    m = re.search(r'<p class="counts" id="att-counts"[^>]*>(.*?)</p>', html, re.S)
    return re.sub(r"\s+", " ", m.group(1)).strip()


def test_all_present_then_exceptions_with_the_counter_in_place(client, world, live_meeting):
    """全员到会 ticks everyone not on leave; each exception is one change of a select, and the
    counter above the roster comes back with the row (out of band), so it is never stale."""
    client.force_login(world.member_user)
    client.post(reverse("orglife:leave_request", args=[live_meeting.pk]), {"reason": "出差"})
    client.force_login(world.secretary)
    hx = {"HTTP_HX_REQUEST": "true"}
    part = client.post(reverse("orglife:attendance_all", args=[live_meeting.pk]), **hx)
    html = part.content.decode()
    assert html.startswith('<section id="attendance">') and "<html" not in html
    assert _counts(html) == "应到 3 人 · 已签到 2 人 · 请假 0 人"
    assert "已记 2 人到会" in html
    rows = {a.member.name: a for a in Attendance.objects.filter(meeting=live_meeting)}
    assert rows["张书记"].outcome == rows["王党员"].outcome == Outcome.PRESENT
    assert rows["张书记"].sign_in_method == "roster"
    assert rows["李党员"].outcome == "" and rows["李党员"].signed_in_at is None  # asked for leave

    mark = reverse("orglife:attendance_mark", args=[live_meeting.pk, world.other_member.pk])
    row = client.post(mark, {"outcome": "absent"}, **hx).content.decode()
    assert row.startswith('<tr id="att-') and 'hx-swap-oob="true"' in row
    assert _counts(row) == "应到 3 人 · 已签到 1 人 · 请假 0 人 · 缺席 1 人"
    assert Attendance.objects.get(member=world.other_member, meeting=live_meeting).outcome == (
        "absent"
    )
    row = client.post(mark, {"outcome": "late"}, **hx).content.decode()
    assert _counts(row) == "应到 3 人 · 已签到 2 人 · 请假 0 人 · 迟到 1 人"
    # 请假 only with a leave approved before the start: refused in the row, nothing changes
    lee = reverse("orglife:attendance_mark", args=[live_meeting.pk, world.member.pk])
    row = client.post(lee, {"outcome": "on_leave"}, **hx).content.decode()
    assert "没有在会前获批的请假" in row
    assert Attendance.objects.get(member=world.member, meeting=live_meeting).outcome == ""
    # a second 全员到会 leaves the marked exceptions alone
    client.post(reverse("orglife:attendance_all", args=[live_meeting.pk]), **hx)
    assert Attendance.objects.get(member=world.other_member, meeting=live_meeting).outcome == (
        "late"
    )


@pytest.mark.parametrize("name", ["anonymous", "member_user", "sibling_secretary", "outsider"])
def test_attendance_marking_needs_the_right_to_run_the_meeting(client, world, live_meeting, name):
    client = client_for(client, user_of(world, name))
    all_url = reverse("orglife:attendance_all", args=[live_meeting.pk])
    mark = reverse("orglife:attendance_mark", args=[live_meeting.pk, world.member.pk])
    for url, data in ((all_url, {}), (mark, {"outcome": "present"})):
        response = client.post(url, data)
        assert response.status_code in (302, 404)
        if name != "anonymous":
            assert response.status_code == 404
    assert not Attendance.objects.filter(meeting=live_meeting, outcome__gt="").exists()


def test_all_present_then_two_exceptions_in_three_actions_for_thirty(
    client, world, django_assert_max_num_queries
):
    """Thirty due members: one 全员到会 and two marks; the queries do not grow with the roster."""
    for i in range(27):
        MemberFactory(name=f"党员{i:02d}", branch=world.branch, join_date=date(2015, 1, 1))
    live_meeting = schedule(world, start=NOW + timedelta(minutes=10))
    due = Attendance.objects.filter(meeting=live_meeting).count()
    assert due == 30
    client.force_login(world.secretary)
    hx = {"HTTP_HX_REQUEST": "true"}
    with django_assert_max_num_queries(25):
        client.post(reverse("orglife:attendance_all", args=[live_meeting.pk]), **hx)
    for member, outcome in ((world.member, "late"), (world.other_member, "absent")):
        with django_assert_max_num_queries(20):
            client.post(
                reverse("orglife:attendance_mark", args=[live_meeting.pk, member.pk]),
                {"outcome": outcome},
                **hx,
            )
    outcomes = list(
        Attendance.objects.filter(meeting=live_meeting).values_list("outcome", flat=True)
    )
    assert len(outcomes) == due
    assert sorted(set(outcomes)) == ["absent", "late", "present"]
    assert outcomes.count("present") == due - 2


def test_a_member_signing_in_late_is_told_so(client, world, live_meeting, frozen):
    """Past the start plus the late margin the sign-in counts as 迟到, and the phone says it."""
    frozen.move_to(live_meeting.planned_start + timedelta(minutes=20))
    client.force_login(world.member_user)
    url = services.signin_url(live_meeting)
    path = url[url.index("/orglife/") :]
    page = client.post(path, {"t": path.split("t=")[1]}).content.decode()
    assert 'data-testid="signin-late"' in page and 'data-testid="signin-ok"' not in page
    start = f"{live_meeting.planned_start.astimezone(SH):%H:%M}"
    assert f"会议 {start} 开始" in page and "记为迟到" in page
    client.force_login(world.secretary)
    response = client.post(
        reverse("orglife:signin_code", args=[live_meeting.pk]),
        {"code": services.signin_code(live_meeting)},
        follow=True,
    )
    assert "已签到，但记为迟到" in response.content.decode()


def test_democratic_life_meeting_is_offered_only_to_leadership_teams(client, world):
    """民主生活会 is the leadership team's: a branch is not offered it and cannot hold one."""
    client.force_login(world.secretary)
    html = client.get(reverse("orglife:schedule", args=[world.branch.pk])).content.decode()
    assert 'value="org_life_meeting"' in html and 'value="democratic_life_meeting"' not in html
    with pytest.raises(ValidationError, match="民主生活会不能由党支部召开"):
        schedule(world, meeting_type="democratic_life_meeting")
    client.force_login(world.admin)
    html = client.get(reverse("orglife:schedule", args=[world.committee.pk])).content.decode()
    assert 'value="democratic_life_meeting"' in html


def test_roster_and_sheet_list_names_by_pinyin(client, world, meeting):
    """李 li, 王 wang, 张 zhang: the order people read, not the code points (张 李 王)."""
    client.force_login(world.secretary)
    for url in (
        reverse("orglife:meeting", args=[meeting.pk]),
        reverse("orglife:signin_sheet", args=[meeting.pk]),
    ):
        html = client.get(url).content.decode()
        names = re.findall(r"(张书记|李党员|王党员)", html)
        assert list(dict.fromkeys(names)) == ["李党员", "王党员", "张书记"], url
