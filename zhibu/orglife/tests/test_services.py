"""Plans, scheduling (due-attendee snapshots, 补记), updates, notice and cancellation."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from zhibu.members.services import member_transfer, position_assign
from zhibu.members.tests.factories import MemberFactory
from zhibu.orglife import selectors, services
from zhibu.orglife.models import Attendance, LeaveRequest, Meeting, MeetingStatus, Plan
from zhibu.orglife.tests.conftest import END, NOW, START, at, fresh
from zhibu.orgs.services import parameter_set

pytestmark = pytest.mark.django_db


def due_names(meeting: Meeting) -> list[str]:
    return sorted(Attendance.objects.filter(meeting=meeting).values_list("member__name", flat=True))


def schedule(world, **kwargs) -> Meeting:
    fields = {
        "actor": world.secretary,
        "org": world.branch,
        "meeting_type": "general_meeting",
        "topic": "主题",
        "planned_start": START,
        "planned_end": END,
    }
    fields.update(kwargs)
    return services.meeting_schedule(**fields)


# --- plans ----------------------------------------------------------------------------------


def test_plan_save_creates_and_replaces_annual_and_monthly_plans(world, clock):
    annual = services.plan_save(actor=world.secretary, org=world.branch, year=2026, content="全年")
    monthly = services.plan_save(
        actor=world.secretary, org=world.branch, year=2026, month=10, content="十月"
    )
    again = services.plan_save(
        actor=world.secretary, org=world.branch, year=2026, content="全年（修订）"
    )
    assert again.pk == annual.pk and again.content == "全年（修订）"
    assert monthly.month == 10
    assert Plan.objects.count() == 2


def test_plan_save_bad_input_and_permissions(world, clock):
    with pytest.raises(ValidationError) as exc:
        services.plan_save(actor=world.secretary, org=world.branch, year=2026, month=13, content="")
    assert set(exc.value.message_dict) == {"month", "content"}
    with pytest.raises(PermissionDenied):
        services.plan_save(actor=world.member_user, org=world.branch, year=2026, content="x")
    with pytest.raises(Http404):
        services.plan_save(actor=world.sibling_secretary, org=world.branch, year=2026, content="x")
    assert not Plan.objects.exists()


# --- scheduling -----------------------------------------------------------------------------


def test_schedule_snapshots_whole_branch_with_leading_cadre_flag(world, clock):
    world.other_member.is_leading_cadre = True
    world.other_member.save()
    meeting = schedule(world)
    assert due_names(meeting) == sorted(["张书记", "李党员", "王党员"])
    row = Attendance.objects.get(meeting=meeting, member=world.other_member)
    assert row.is_leading_cadre is True and row.outcome == ""
    assert len(meeting.signin_code) == 6 and meeting.signin_code.isdigit()
    assert meeting.status == MeetingStatus.PLANNED and not meeting.is_late_entry
    assert meeting.created_by == world.secretary


def test_schedule_committee_and_party_group_attendees(world, clock):
    committee = schedule(world, meeting_type="committee_meeting")
    assert due_names(committee) == ["张书记"]
    group = schedule(world, meeting_type="party_group_meeting", org=world.group)
    assert due_names(group) == ["李党员"]


def test_schedule_refuses_type_at_wrong_org_kind_and_records_nothing(world, clock):
    with pytest.raises(ValidationError) as exc:
        schedule(world, meeting_type="party_group_meeting")  # at a branch
    assert "党小组会" in exc.value.message_dict["meeting_type"][0]
    with pytest.raises(ValidationError) as exc:
        schedule(world, meeting_type="no_such_type")
    assert "meeting_type" in exc.value.message_dict
    assert not Meeting.objects.exists() and not Attendance.objects.exists()


def test_meeting_that_ends_before_it_starts_is_refused(world, clock):
    with pytest.raises(ValidationError) as exc:
        schedule(world, planned_end=START - timedelta(minutes=1))
    assert exc.value.message_dict["planned_end"] == ["结束时间必须晚于开始时间"]
    with pytest.raises(ValidationError):
        schedule(world, planned_end=START)
    assert not Meeting.objects.exists() and not Attendance.objects.exists()


def test_schedule_needs_manage_right_in_scope(world, clock):
    with pytest.raises(PermissionDenied):
        schedule(world, actor=world.member_user)
    with pytest.raises(Http404):
        schedule(world, actor=world.sibling_secretary)
    with pytest.raises(Http404):
        schedule(world, actor=world.outsider)
    assert schedule(world, actor=world.admin).org == world.branch
    assert Meeting.objects.count() == 1


def test_late_entry_needs_reason_and_is_marked(world, clock):
    past = NOW - timedelta(days=10)
    with pytest.raises(ValidationError) as exc:
        schedule(world, planned_start=past, planned_end=past + timedelta(hours=3))
    assert "补记" in exc.value.message_dict["late_entry_reason"][0]
    assert not Meeting.objects.exists()
    meeting = schedule(
        world,
        planned_start=past,
        planned_end=past + timedelta(hours=3),
        late_entry_reason="书记外出培训，回来补录",
    )
    assert meeting.is_late_entry and meeting.late_entry_reason == "书记外出培训，回来补录"
    # Snapshot taken for the date it was held on.
    assert len(due_names(meeting)) == 3


def test_late_entry_window_is_a_parameter_of_the_organization(world, clock):
    parameter_set(
        actor=world.admin,
        org=world.committee,
        key="late_entry_days",
        value=30,
        reason="年底集中整理纸质记录",
    )
    past = NOW - timedelta(days=10)
    meeting = schedule(world, planned_start=past, planned_end=past + timedelta(hours=2))
    assert not meeting.is_late_entry
    # Within the default window nothing is marked either.
    recent = NOW - timedelta(days=3)
    world.committee.settings = {}
    world.committee.save()
    assert not schedule(
        world, planned_start=recent, planned_end=recent + timedelta(hours=2)
    ).is_late_entry


def test_schedule_query_count_does_not_grow_with_members(world, clock, django_assert_num_queries):
    schedule(world)  # warm the scope cache
    with django_assert_num_queries(14):  # one snapshot query and one bulk insert
        schedule(world)
    for _ in range(25):
        MemberFactory(branch=world.branch)
    with django_assert_num_queries(14):
        big = schedule(world)
    assert len(due_names(big)) == 28


# --- transfers and moves ----------------------------------------------------------------------


def test_member_transferred_after_scheduling_keeps_obligation_of_old_branch(world, clock):
    meeting = schedule(world)
    member_transfer(member=world.member, branch=world.sibling, on=date(2026, 10, 20))
    # The snapshot stands, and the member still sees the meeting after leaving the branch.
    assert "李党员" in due_names(meeting)
    services.meeting_notify(actor=world.secretary, meeting=meeting)
    user = fresh(world.member_user)
    assert selectors.meeting_get(user=user, pk=meeting.pk) == meeting
    assert [a.meeting_id for a in selectors.my_meetings(user=user)] == [meeting.pk]
    # Moving the meeting to a date still before the transfer keeps them due, with the sign-in.
    services.sign_in(actor=world.secretary, meeting=meeting, method="roster", member=world.member)
    services.meeting_update(
        actor=world.secretary,
        meeting=meeting,
        planned_start=at(10, 14, 14),
        planned_end=at(10, 14, 17),
    )
    row = Attendance.objects.get(meeting=meeting, member=world.member)
    assert row.signed_in_at is not None
    # Moving it past the transfer date recomputes: the member now owes the new branch instead.
    newcomer = MemberFactory(name="新党员", branch=world.branch)
    services.meeting_update(
        actor=world.secretary,
        meeting=meeting,
        planned_start=at(10, 21, 14),
        planned_end=at(10, 21, 17),
    )
    assert due_names(meeting) == sorted(["张书记", "王党员", newcomer.name])


def test_transfer_before_meeting_date_recorded_before_scheduling(world, clock):
    member_transfer(member=world.member, branch=world.sibling, on=date(2026, 10, 11))
    meeting = schedule(world)
    assert "李党员" not in due_names(meeting)
    sibling_meeting = schedule(world, actor=world.sibling_secretary, org=world.sibling)
    assert "李党员" in due_names(sibling_meeting)


def test_update_same_day_keeps_rows_and_clears_notice(world, clock):
    meeting = schedule(world)
    services.meeting_notify(actor=world.secretary, meeting=meeting)
    services.sign_in(
        actor=world.secretary, meeting=meeting, method="roster", member=world.other_member
    )
    meeting = services.meeting_update(
        actor=world.secretary,
        meeting=meeting,
        planned_start=START + timedelta(hours=1),
        planned_end=END + timedelta(hours=1),
        topic="  新主题 ",
    )
    assert meeting.topic == "新主题"
    assert meeting.notice_sent_at is None  # members were told another time
    assert Attendance.objects.filter(meeting=meeting, signed_in_at__isnull=False).count() == 1


def test_update_bad_input_changes_nothing(world, clock):
    meeting = schedule(world)
    with pytest.raises(ValidationError) as exc:
        services.meeting_update(actor=world.secretary, meeting=meeting, planned_end=START)
    assert "planned_end" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.meeting_update(actor=world.secretary, meeting=meeting, meeting_type="x")
    assert "meeting_type" in exc.value.message_dict
    meeting.refresh_from_db()
    assert meeting.planned_end == END


def test_moved_members_leave_requests_go_with_their_rows(world, clock):
    meeting = schedule(world)
    services.leave_request(actor=world.member_user, meeting=meeting, reason="出差")
    member_transfer(member=world.member, branch=world.sibling, on=date(2026, 10, 15))
    services.meeting_update(
        actor=world.secretary,
        meeting=meeting,
        planned_start=at(10, 16, 14),
        planned_end=at(10, 16, 17),
    )
    assert not LeaveRequest.objects.filter(meeting=meeting).exists()


# --- notice and cancellation ----------------------------------------------------------------


def test_notice_makes_meeting_visible_in_my_meetings_and_is_recorded_once(world, clock):
    meeting = schedule(world)
    assert list(selectors.my_meetings(user=world.member_user)) == []
    services.meeting_notify(actor=world.secretary, meeting=meeting)
    meeting.refresh_from_db()
    assert meeting.notice_sent_at == NOW
    assert (meeting.planned_start - meeting.notice_sent_at) >= timedelta(days=3)
    clock.move_to(NOW + timedelta(days=1))
    services.meeting_notify(actor=world.secretary, meeting=meeting)
    meeting.refresh_from_db()
    assert meeting.notice_sent_at == NOW
    assert [a.meeting for a in selectors.my_meetings(user=world.member_user)] == [meeting]
    with pytest.raises(PermissionDenied):
        services.meeting_notify(actor=world.member_user, meeting=meeting)


def test_my_meetings_lists_upcoming_first_soonest_first(world, clock):
    past = schedule(
        world,
        planned_start=NOW - timedelta(days=2),
        planned_end=NOW - timedelta(days=2) + timedelta(hours=2),
    )
    later = schedule(world, planned_start=at(10, 20, 9), planned_end=at(10, 20, 11))
    soon = schedule(world)
    for m in (past, later, soon):
        services.meeting_notify(actor=world.secretary, meeting=m)
    rows = list(selectors.my_meetings(user=world.member_user))
    assert [a.meeting_id for a in rows] == [soon.pk, later.pk, past.pk]


def test_cancel_needs_reason_and_only_before_the_record(world, clock):
    meeting = schedule(world)
    with pytest.raises(ValidationError) as exc:
        services.meeting_cancel(actor=world.secretary, meeting=meeting, reason="  ")
    assert "reason" in exc.value.message_dict
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.PLANNED
    meeting = services.meeting_cancel(actor=world.secretary, meeting=meeting, reason="防汛值班")
    assert meeting.status == MeetingStatus.CANCELLED and meeting.cancel_reason == "防汛值班"
    assert meeting.cancelled_at == NOW
    with pytest.raises(ValidationError):
        services.meeting_update(actor=world.secretary, meeting=meeting, topic="x")


def test_org_calendar_and_meeting_list_scope(world, clock, django_assert_num_queries):
    schedule(world)
    schedule(world, actor=world.sibling_secretary, org=world.sibling)
    schedule(world, planned_start=at(11, 2, 9), planned_end=at(11, 2, 11))
    october = list(selectors.org_calendar(user=world.admin, org=world.committee, month="2026-10"))
    assert len(october) == 2
    assert (
        len(
            list(selectors.org_calendar(user=world.secretary, org=world.committee, month="2026-10"))
        )
        == 1
    )
    secretary = fresh(world.secretary)
    with django_assert_num_queries(4):  # scope (grants, member, positions) + the list
        rows = list(selectors.meeting_list(user=secretary))
    assert len(rows) == 2 and all(r.due_count == 3 for r in rows)
    assert list(selectors.meeting_list(user=world.outsider)) == []


def test_party_group_leader_is_not_a_committee_attendee(world, clock):
    leader = MemberFactory(name="组长", branch=world.branch, party_group=world.group)
    position_assign(
        member=leader, org=world.group, role="party_group_leader", start=date(2025, 1, 1)
    )
    assert due_names(schedule(world, meeting_type="committee_meeting")) == ["张书记"]
    assert due_names(schedule(world, meeting_type="party_group_meeting", org=world.group)) == [
        "李党员",
        "组长",
    ]
