"""Leave (who may decide, before/after the start) and make-up (deadline, overdue, completion)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from zhibu.members.services import position_assign
from zhibu.members.tests.factories import MemberFactory
from zhibu.orglife import selectors, services
from zhibu.orglife.models import (
    Attendance,
    LeaveRequest,
    LeaveStatus,
    Makeup,
    MakeupMethod,
    Outcome,
)
from zhibu.orglife.tests.conftest import END, NOW, START, at, fresh
from zhibu.orgs.services import parameter_set
from zhibu.orgs.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def hold_and_confirm(world, meeting, clock, *, signed=()):
    """Sign in `signed` members, record the meeting and confirm it (the clock ends after it)."""
    clock.move_to(START + timedelta(minutes=1))
    for member in signed:
        services.sign_in(actor=world.secretary, meeting=meeting, method="roster", member=member)
    clock.move_to(END + timedelta(hours=1))
    services.meeting_record(
        actor=world.secretary,
        meeting=meeting,
        actual_start=START,
        actual_end=END,
        minutes="<p>会议记录</p>",
    )
    return services.record_confirm(actor=world.secretary, meeting=meeting)


def outcome(meeting, member) -> str:
    return Attendance.objects.get(meeting=meeting, member=member).outcome


# --- leave ----------------------------------------------------------------------------------


def test_leave_approved_before_start_excuses_and_still_needs_makeup(world, meeting, clock):
    leave = services.leave_request(actor=world.member_user, meeting=meeting, reason="出差在外")
    assert leave.requested_at == NOW and leave.status == LeaveStatus.PENDING
    assert [x.pk for x in selectors.leave_inbox(user=world.secretary)] == [leave.pk]
    clock.move_to(NOW + timedelta(hours=1))
    leave = services.leave_decide(actor=world.secretary, leave=leave, approve=True, note="同意")
    assert leave.decided_by == world.secretary and leave.decided_at == NOW + timedelta(hours=1)
    assert leave.excuses
    assert list(selectors.leave_inbox(user=world.secretary)) == []
    hold_and_confirm(world, meeting, clock, signed=[world.secretary_member])
    assert outcome(meeting, world.member) == Outcome.ON_LEAVE
    assert outcome(meeting, world.other_member) == Outcome.ABSENT
    assert outcome(meeting, world.secretary_member) == Outcome.PRESENT
    makeups = Makeup.objects.order_by("member__name")
    assert sorted(m.member.name for m in makeups) == ["李党员", "王党员"]
    assert {m.due_date for m in makeups} == {date(2026, 11, 11)}  # 10-12 + 30 days


def test_leave_approved_after_start_does_not_excuse(world, meeting, clock):
    leave = services.leave_request(actor=world.member_user, meeting=meeting, reason="生病")
    clock.move_to(START + timedelta(minutes=5))
    leave = services.leave_decide(actor=world.secretary, leave=leave, approve=True)
    assert leave.status == LeaveStatus.APPROVED and not leave.excuses
    hold_and_confirm(world, meeting, clock)
    assert outcome(meeting, world.member) == Outcome.ABSENT
    assert Makeup.objects.filter(member=world.member).exists()


def test_leave_requested_after_start_is_kept_but_does_not_excuse(world, meeting, clock):
    clock.move_to(START + timedelta(minutes=30))
    leave = services.leave_request(actor=world.member_user, meeting=meeting, reason="临时有事")
    leave = services.leave_decide(actor=world.secretary, leave=leave, approve=True)
    assert LeaveRequest.objects.filter(pk=leave.pk).exists() and not leave.excuses
    hold_and_confirm(world, meeting, clock)
    assert outcome(meeting, world.member) == Outcome.ABSENT


def test_on_leave_cannot_be_ticked_without_an_excusing_leave(world, meeting, clock):
    clock.move_to(END + timedelta(hours=1))
    with pytest.raises(ValidationError) as exc:
        services.meeting_record(
            actor=world.secretary,
            meeting=meeting,
            actual_start=START,
            actual_end=END,
            outcomes={world.member.pk: Outcome.ON_LEAVE},
        )
    assert "李党员" in exc.value.message_dict["outcomes"][0]
    assert outcome(meeting, world.member) == ""
    meeting.refresh_from_db()
    assert meeting.actual_start is None


def test_leave_decision_by_someone_who_may_not_decide_records_nothing(world, meeting, clock):
    leave = services.leave_request(actor=world.member_user, meeting=meeting, reason="出差")
    with pytest.raises(PermissionDenied) as exc:
        services.leave_decide(actor=world.member_user, leave=leave, approve=True)
    assert "不能审批自己" in str(exc.value) or "只有" in str(exc.value)
    plain = UserFactory()
    MemberFactory(branch=world.branch, user=plain)
    with pytest.raises(PermissionDenied) as exc:
        services.leave_decide(actor=plain, leave=leave, approve=True)
    assert "只有支部书记" in str(exc.value)
    with pytest.raises(Http404):
        services.leave_decide(actor=world.sibling_secretary, leave=leave, approve=True)
    with pytest.raises(Http404):
        services.leave_decide(actor=world.outsider, leave=leave, approve=False)
    leave.refresh_from_db()
    assert (leave.status, leave.decided_by, leave.decided_at) == (LeaveStatus.PENDING, None, None)


def test_secretary_cannot_approve_own_leave_and_decisions_are_final(world, meeting, clock):
    own = services.leave_request(actor=world.secretary, meeting=meeting, reason="上级会议")
    with pytest.raises(PermissionDenied):
        services.leave_decide(actor=world.secretary, leave=own, approve=True)
    assert list(selectors.leave_inbox(user=world.secretary)) == []
    assert [x.pk for x in selectors.leave_inbox(user=world.admin)] == [own.pk]
    services.leave_decide(actor=world.admin, leave=own, approve=False, note="请安排好工作参会")
    with pytest.raises(ValidationError) as exc:
        services.leave_decide(actor=world.admin, leave=own, approve=True)
    assert "已审批" in exc.value.message_dict["status"][0]
    own.refresh_from_db()
    assert own.status == LeaveStatus.REJECTED


def test_leave_request_bad_input(world, meeting, clock):
    with pytest.raises(ValidationError) as exc:
        services.leave_request(actor=world.member_user, meeting=meeting, reason=" ")
    assert exc.value.message_dict == {"reason": ["请填写请假事由"]}
    with pytest.raises(ValidationError) as exc:
        services.leave_request(actor=world.sibling_secretary, meeting=meeting, reason="x")
    assert "应到人员" in exc.value.message_dict["meeting"][0]
    services.leave_request(actor=world.member_user, meeting=meeting, reason="出差")
    with pytest.raises(ValidationError):
        services.leave_request(actor=world.member_user, meeting=meeting, reason="again")
    assert LeaveRequest.objects.count() == 1


def test_rejected_leave_may_be_asked_again(world, meeting, clock):
    leave = services.leave_request(actor=world.member_user, meeting=meeting, reason="出差")
    services.leave_decide(actor=world.secretary, leave=leave, approve=False)
    again = services.leave_request(
        actor=world.member_user, meeting=meeting, reason="出差（已购票）"
    )
    assert again.pk == leave.pk and again.status == LeaveStatus.PENDING
    assert again.decided_by is None


def test_signed_in_member_cannot_ask_for_leave(world, meeting, clock):
    services.sign_in(actor=world.secretary, meeting=meeting, method="roster", member=world.member)
    with pytest.raises(ValidationError):
        services.leave_request(actor=world.member_user, meeting=meeting, reason="x")
    assert not LeaveRequest.objects.exists()


def test_party_group_leader_decides_leave_for_group_meeting(world, clock):
    leader_user = UserFactory()
    leader = MemberFactory(
        name="组长", branch=world.branch, party_group=world.group, user=leader_user
    )
    position_assign(
        member=leader, org=world.group, role="party_group_leader", start=date(2025, 1, 1)
    )
    group_meeting = services.meeting_schedule(
        actor=world.secretary,
        org=world.group,
        meeting_type="party_group_meeting",
        topic="党小组学习",
        planned_start=START,
        planned_end=END,
    )
    leave = services.leave_request(actor=world.member_user, meeting=group_meeting, reason="值班")
    assert [x.pk for x in selectors.leave_inbox(user=leader_user)] == [leave.pk]
    services.leave_decide(actor=leader_user, leave=leave, approve=True)
    leave.refresh_from_db()
    assert leave.excuses and leave.decided_by == leader_user
    # The group leader has no say over the branch's own meetings.
    branch_meeting = services.meeting_schedule(
        actor=world.secretary,
        org=world.branch,
        meeting_type="general_meeting",
        topic="党员大会",
        planned_start=START,
        planned_end=END,
    )
    other = services.leave_request(actor=world.member_user, meeting=branch_meeting, reason="值班")
    with pytest.raises(PermissionDenied):
        services.leave_decide(actor=fresh(leader_user), leave=other, approve=True)


# --- make-up --------------------------------------------------------------------------------


def test_makeup_deadline_is_a_parameter_and_overdue_is_visible(world, meeting, clock):
    parameter_set(actor=world.secretary, org=world.branch, key="makeup_days", value=14)
    hold_and_confirm(world, meeting, clock, signed=[world.secretary_member])
    makeup = Makeup.objects.get(member=world.member)
    assert makeup.due_date == date(2026, 10, 26)
    assert list(selectors.makeup_list(user=world.member_user, overdue_only=True)) == []
    clock.move_to(at(10, 27, 9))
    mine = list(selectors.makeup_list(user=world.member_user, overdue_only=True))
    assert [m.pk for m in mine] == [makeup.pk]  # only their own
    overdue = list(selectors.makeup_list(user=world.secretary, overdue_only=True))
    assert {m.member.name for m in overdue} == {"李党员", "王党员"}
    assert list(selectors.makeup_list(user=world.sibling_secretary)) == []
    services.makeup_complete(
        actor=world.secretary, makeup=makeup, method=MakeupMethod.STUDY, reflection="补学心得"
    )
    overdue = list(selectors.makeup_list(user=world.secretary, overdue_only=True))
    assert [m.member.name for m in overdue] == ["王党员"]


def test_makeup_list_query_count_is_constant(world, meeting, clock, django_assert_num_queries):
    def read(user):
        return [
            (m.member.name, m.attendance.meeting.org.name, m.attendance.outcome)
            for m in selectors.makeup_list(user=user)
        ]

    hold_and_confirm(world, meeting, clock)
    secretary = fresh(world.secretary)
    with django_assert_num_queries(4):  # scope (3) + the list
        assert len(read(secretary)) == 3
    for _ in range(10):
        MemberFactory(branch=world.branch)
    second = services.meeting_schedule(
        actor=world.secretary,
        org=world.branch,
        meeting_type="party_lecture",
        topic="党课",
        planned_start=START + timedelta(days=1),
        planned_end=END + timedelta(days=1),
    )
    hold_and_confirm_lecture(world, second, clock)
    secretary = fresh(world.secretary)
    with django_assert_num_queries(4):
        assert len(read(secretary)) == 16


def hold_and_confirm_lecture(world, lecture, clock):
    clock.move_to(lecture.planned_end + timedelta(hours=1))
    services.meeting_update(actor=world.secretary, meeting=lecture, lecturer="张书记")
    services.meeting_update(actor=world.secretary, meeting=lecture, materials="党章")
    services.discussion_add(actor=world.secretary, meeting=lecture, text="交流体会")
    services.meeting_record(
        actor=world.secretary,
        meeting=lecture,
        actual_start=lecture.planned_start,
        actual_end=lecture.planned_end,
    )
    services.record_confirm(actor=world.secretary, meeting=lecture)


def test_makeup_by_study_submitted_by_member_and_confirmed(world, meeting, clock):
    hold_and_confirm(world, meeting, clock)
    makeup = Makeup.objects.get(member=world.member)
    with pytest.raises(ValidationError) as exc:
        services.makeup_submit(actor=world.member_user, makeup=makeup, method="study")
    assert exc.value.message_dict == {"reflection": ["请填写学习心得"]}
    with pytest.raises(ValidationError) as exc:
        services.makeup_complete(actor=world.secretary, makeup=makeup)
    assert "尚未提交" in exc.value.message_dict["makeup"][0]
    with pytest.raises(PermissionDenied):
        services.makeup_submit(
            actor=world.secretary, makeup=makeup, method="study", reflection="代写"
        )
    makeup = services.makeup_submit(
        actor=world.member_user, makeup=makeup, method="study", reflection="学习了会议记录"
    )
    assert makeup.submitted_at is not None and not makeup.is_done
    with pytest.raises(PermissionDenied):
        services.makeup_complete(actor=world.member_user, makeup=makeup)
    with pytest.raises(Http404):
        services.makeup_complete(actor=world.sibling_secretary, makeup=makeup)
    makeup = services.makeup_complete(actor=world.secretary, makeup=makeup)
    assert makeup.is_done and makeup.confirmed_by == world.secretary
    with pytest.raises(ValidationError):
        services.makeup_submit(
            actor=world.member_user, makeup=makeup, method="study", reflection="x"
        )


def test_makeup_by_attending_a_later_session(world, meeting, clock):
    hold_and_confirm(world, meeting, clock)
    makeup = Makeup.objects.get(member=world.member)
    later = services.meeting_schedule(
        actor=world.secretary,
        org=world.branch,
        meeting_type="general_meeting",
        topic="第二场",
        planned_start=at(10, 20, 14),
        planned_end=at(10, 20, 16),
    )
    lecture = services.meeting_schedule(
        actor=world.secretary,
        org=world.branch,
        meeting_type="party_lecture",
        topic="党课",
        planned_start=at(10, 21, 14),
        planned_end=at(10, 21, 16),
    )
    with pytest.raises(ValidationError) as exc:
        services.makeup_submit(
            actor=world.member_user, makeup=makeup, method="later_session", later_meeting=later
        )
    assert "签到或出席" in exc.value.message_dict["later_meeting"][0]
    with pytest.raises(ValidationError) as exc:
        services.makeup_submit(
            actor=world.member_user, makeup=makeup, method="later_session", later_meeting=lecture
        )
    assert "同类会议" in exc.value.message_dict["later_meeting"][0]
    clock.move_to(at(10, 20, 14))
    services.sign_in(
        actor=world.member_user, meeting=later, method="code", code=services.signin_code(later)
    )
    makeup = services.makeup_submit(
        actor=world.member_user, makeup=makeup, method="later_session", later_meeting=later
    )
    assert makeup.later_meeting == later and makeup.method == MakeupMethod.LATER_SESSION


def test_secretary_records_makeup_for_member_without_phone(world, meeting, clock):
    hold_and_confirm(world, meeting, clock)
    makeup = Makeup.objects.get(member=world.other_member)
    with pytest.raises(ValidationError):
        services.makeup_complete(actor=world.secretary, makeup=makeup, method="study")
    makeup = services.makeup_complete(
        actor=world.secretary, makeup=makeup, method="study", reflection="送学上门，口述心得"
    )
    assert makeup.is_done and makeup.submitted_at is not None


def test_meeting_attendance_brings_leave_and_makeup_in_one_query(
    world, meeting, clock, django_assert_num_queries
):
    leave = services.leave_request(actor=world.member_user, meeting=meeting, reason="出差")
    services.leave_decide(actor=world.secretary, leave=leave, approve=True)
    hold_and_confirm(world, meeting, clock)
    with django_assert_num_queries(1):
        rows = {
            a.member.name: (
                a.outcome,
                a.leave_request.status if a.leave_request else None,
                a.leave_request.decided_by.username if a.leave_request else None,
                a.makeup.due_date,
            )
            for a in selectors.meeting_attendance(meeting=meeting)
        }
    assert rows == {
        "张书记": ("absent", None, None, date(2026, 11, 11)),
        "李党员": ("on_leave", "approved", "sec1", date(2026, 11, 11)),
        "王党员": ("absent", None, None, date(2026, 11, 11)),
    }
