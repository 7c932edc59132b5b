"""Due lists follow the roster: a transfer or the end of a membership from a day on moves the
member off the old branch's unconfirmed meetings held from that day and onto the new branch's;
confirmation never marks absent, nor gives a make-up to, someone not due on the meeting's day.

Boundary: the transfer day is the member's first day in the new branch (their old tenure ends
the day before), so a meeting held on the transfer day itself is the new branch's.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from zhibu.compliance import facts as facts_module
from zhibu.compliance import services as compliance_services
from zhibu.compliance.models import Obligation
from zhibu.members.models import BranchTenure, MembershipEnd
from zhibu.members.services import member_end, member_transfer, member_update
from zhibu.members.tests.factories import MemberFactory
from zhibu.orglife import selectors, services
from zhibu.orglife.models import Amendment, Attendance, LeaveRequest, Makeup, Meeting, Outcome
from zhibu.orglife.tests.conftest import END, START, fresh
from zhibu.orgs.models import Organization

pytestmark = pytest.mark.django_db

MEETING_DAY = date(2026, 10, 12)  # the day of the `meeting` fixture (START..END)


def due_names(meeting: Meeting) -> list[str]:
    return sorted(Attendance.objects.filter(meeting=meeting).values_list("member__name", flat=True))


def sibling_meeting(world) -> Meeting:
    """A general meeting of world.sibling at the same time as the `meeting` fixture."""
    return services.meeting_schedule(
        actor=world.sibling_secretary,
        org=world.sibling,
        meeting_type="general_meeting",
        topic="第二支部党员大会",
        planned_start=START,
        planned_end=END,
    )


def confirm(actor, meeting: Meeting) -> Meeting:
    """Record the meeting as held START..END (nobody ticked) and confirm it."""
    services.meeting_record(
        actor=actor, meeting=meeting, actual_start=START, actual_end=END, minutes="<p>记录</p>"
    )
    return services.record_confirm(actor=actor, meeting=meeting)


def outcome_and_makeup(meeting: Meeting, member) -> tuple[str | None, bool]:
    """The member's outcome at the meeting (None: not on its list) and whether a make-up exists."""
    row = Attendance.objects.filter(meeting=meeting, member=member).first()
    return (
        row.outcome if row else None,
        Makeup.objects.filter(attendance__meeting=meeting, member=member).exists(),
    )


# --- transfers ------------------------------------------------------------------------------

TRANSFERS = [
    # transfer day, on the old meeting's list, on the new meeting's list
    (date(2026, 10, 11), False, True),  # the day before the meeting
    (MEETING_DAY, False, True),  # the meeting day itself: the new branch's
    (date(2026, 10, 13), True, False),  # the day after: the old branch's meeting stands
]


@pytest.mark.parametrize(("on", "stays", "joins"), TRANSFERS)
def test_transfer_after_scheduling_moves_the_member_between_due_lists(
    world, meeting, clock, on, stays, joins
):
    new = sibling_meeting(world)
    moved = world.other_member
    member_transfer(member=moved, branch=world.sibling, on=on)

    assert ("王党员" in due_names(meeting)) is stays
    assert ("王党员" in due_names(new)) is joins
    assert due_names(meeting) == sorted(["张书记", "李党员", *(["王党员"] if stays else [])])
    assert due_names(new) == sorted(["赵书记", "钱党员", *(["王党员"] if joins else [])])

    clock.move_to(END + timedelta(hours=1))
    confirm(world.secretary, meeting)
    confirm(world.sibling_secretary, new)
    # Whoever was due and did not come is absent with a make-up — in one branch only.
    assert outcome_and_makeup(meeting, moved) == (
        (Outcome.ABSENT, True) if stays else (None, False)
    )
    assert outcome_and_makeup(new, moved) == ((Outcome.ABSENT, True) if joins else (None, False))


def test_transfer_moves_the_meeting_between_my_meetings(world, meeting, clock):
    new = sibling_meeting(world)
    for m, actor in ((meeting, world.secretary), (new, world.sibling_secretary)):
        services.meeting_notify(actor=actor, meeting=m)
    user = fresh(world.member_user)
    assert [a.meeting_id for a in selectors.my_meetings(user=user)] == [meeting.pk]
    member_transfer(member=world.member, branch=world.sibling, on=MEETING_DAY)
    user = fresh(world.member_user)
    assert [a.meeting_id for a in selectors.my_meetings(user=user)] == [new.pk]


def test_transfer_drops_the_leave_request_of_a_meeting_no_longer_owed(world, meeting, clock):
    services.leave_request(actor=world.member_user, meeting=meeting, reason="出差")
    member_transfer(member=world.member, branch=world.sibling, on=MEETING_DAY)
    assert not LeaveRequest.objects.filter(meeting=meeting).exists()


def test_transfer_dated_back_over_a_confirmed_record(world, meeting, clock):
    """A meeting held before the transfer day keeps the member's absence and make-up; in a
    record confirmed before a transfer dated back over it, the absence is withdrawn by an
    amendment that says why, with its make-up, and the findings follow at once."""
    earlier = services.meeting_schedule(
        actor=world.secretary,
        org=world.branch,
        meeting_type="general_meeting",
        topic="九月党员大会",
        planned_start=START - timedelta(days=20),
        planned_end=END - timedelta(days=20),
        late_entry_reason="会后补录",
    )
    new = sibling_meeting(world)
    clock.move_to(END + timedelta(hours=1))
    for m, actor in ((earlier, world.secretary), (meeting, world.secretary)):
        services.meeting_record(
            actor=actor,
            meeting=m,
            actual_start=m.planned_start,
            actual_end=m.planned_end,
            minutes="<p>记录</p>",
        )
        services.record_confirm(actor=actor, meeting=m)
    confirm(world.sibling_secretary, new)
    moved = world.other_member
    october = {"member": moved, "rule_id": "organ_leave_approval", "period_key": "2026-10"}
    assert Obligation.objects.get(org=world.branch, **october).status == "not_met"

    member_transfer(actor=world.admin, member=moved, branch=world.sibling, on=date(2026, 10, 1))

    assert outcome_and_makeup(earlier, moved) == (Outcome.ABSENT, True)
    assert outcome_and_makeup(meeting, moved) == (None, False)
    assert outcome_and_makeup(new, moved) == (None, False)  # nobody is added to a locked record
    assert outcome_and_makeup(meeting, world.member) == (Outcome.ABSENT, True)
    amendment = Amendment.objects.get(meeting=meeting)
    assert (amendment.field, amendment.old_value, amendment.new_value, amendment.by) == (
        f"attendance:{moved.pk}",
        Outcome.ABSENT,
        "",
        world.admin,
    )
    assert (
        amendment.reason == "组织关系转接：自 2026-10-01 起转入“第二党支部”，不是本次会议的应到人员"
    )
    assert not Amendment.objects.filter(meeting__in=[earlier, new]).exists()
    # The member's October finding is filed again where their October now belongs (it moves
    # with the next evaluation of the new branch; the old branch's refresh does not judge them).
    compliance_services.refresh_for_meeting(new)
    row = Obligation.objects.get(**october)
    assert (row.org, row.status, row.numbers) == (world.sibling, "not_applicable", {"due": 0})


def test_confirm_never_judges_a_member_not_due_that_day(world, meeting, clock):
    """Even a row left on a list (here: put back by hand after a transfer) is dropped at
    confirmation instead of becoming an absence; a member who came anyway keeps the record."""
    member_transfer(member=world.other_member, branch=world.sibling, on=MEETING_DAY)
    member_transfer(member=world.member, branch=world.sibling, on=MEETING_DAY)
    Attendance.objects.create(meeting=meeting, member=world.other_member)
    Attendance.objects.create(meeting=meeting, member=world.member, outcome=Outcome.PRESENT)
    clock.move_to(END + timedelta(hours=1))
    confirm(world.secretary, meeting)
    assert outcome_and_makeup(meeting, world.other_member) == (None, False)
    assert outcome_and_makeup(meeting, world.member) == (Outcome.PRESENT, False)
    assert outcome_and_makeup(meeting, world.secretary_member) == (Outcome.ABSENT, True)


def test_compliance_facts_do_not_hold_the_meeting_against_the_old_branch(world, meeting, clock):
    moved = world.other_member
    member_transfer(member=moved, branch=world.sibling, on=MEETING_DAY)
    clock.move_to(END + timedelta(hours=1))
    confirm(world.secretary, meeting)

    orgs = list(Organization.objects.subtree(world.committee))
    store = facts_module.load(world.committee, orgs, date(2026, 10, 1), date(2026, 10, 31))
    at_old = {a.member_id: a for a in store.attendances_by_branch[world.branch.pk]}
    assert sorted(at_old) == sorted([world.secretary_member.pk, world.member.pk])
    assert all(a.unexcused for a in at_old.values())
    assert moved.pk not in store.attendances_by_member
    assert moved.pk not in store.makeups_by_member
    # The confirmation's refresh wrote no finding about the moved member in the old branch.
    assert not Obligation.objects.filter(org=world.branch, member=moved).exists()
    assert Obligation.objects.filter(org=world.branch, member=world.member).exists()


# --- the end of a membership ----------------------------------------------------------------

ENDS = [
    # reason, first day off the roster, on the meeting's list afterwards
    (MembershipEnd.DEATH, date(2026, 10, 11), False),
    (MembershipEnd.DEATH, MEETING_DAY, False),
    (MembershipEnd.EXPELLED, MEETING_DAY, False),
    (MembershipEnd.SUSPENDED, MEETING_DAY, False),
    (MembershipEnd.TRANSFERRED_OUT, MEETING_DAY, False),
    (MembershipEnd.EXPELLED, date(2026, 10, 13), True),  # ends after the meeting day
]


@pytest.mark.parametrize(("reason", "on", "listed"), ENDS)
def test_end_of_membership_takes_the_member_off_due_lists_from_that_day(
    world, meeting, clock, reason, on, listed
):
    member_end(actor=world.secretary, member=world.other_member, on=on, reason=reason)
    assert ("王党员" in due_names(meeting)) is listed
    clock.move_to(END + timedelta(hours=1))
    confirm(world.secretary, meeting)
    # Off the roster by the time of confirmation: never marked absent, no make-up.
    assert outcome_and_makeup(meeting, world.other_member) == (None, False)


def test_end_of_membership_closes_the_tenure_and_posts_and_keeps_history(world, meeting, clock):
    member = member_end(
        actor=world.secretary,
        member=world.secretary_member,
        on=MEETING_DAY,
        reason=MembershipEnd.DEATH,
        note="因病去世",
    )
    assert member.is_active is False
    tenure = BranchTenure.objects.get(member=member)
    assert (tenure.start, tenure.end, tenure.note) == (
        date(2010, 7, 1),
        date(2026, 10, 11),
        "去世：因病去世",
    )
    assert set(member.positions.values_list("end", flat=True)) == {date(2026, 10, 11)}
    assert due_names(meeting) == ["李党员", "王党员"]


CONFIRMED_THEN_ENDED = [
    # first day off the roster, outcome and make-up left, the amendment's reason (None: none)
    (date(2026, 10, 13), (Outcome.ABSENT, True), None),
    (MEETING_DAY, (None, False), "出党：自 2026-10-12 起不在册，不是本次会议的应到人员"),
]


@pytest.mark.parametrize(("on", "left", "reason"), CONFIRMED_THEN_ENDED)
def test_end_of_membership_after_the_record_was_confirmed(world, meeting, clock, on, left, reason):
    clock.move_to(END + timedelta(hours=1))
    confirm(world.secretary, meeting)
    member_end(member=world.other_member, on=on, reason=MembershipEnd.EXPELLED)
    assert outcome_and_makeup(meeting, world.other_member) == left
    assert list(Amendment.objects.values_list("reason", flat=True)) == ([reason] if reason else [])


END_ERRORS = [
    (
        {"reason": "resigned"},
        {"reason": ["请选择减少原因：去世、停止党籍、出党或组织关系转出本系统"]},
    ),
    ({"on": date(2010, 7, 1)}, {"on": ["减少日期应晚于当前支部的起始日期 2010-07-01"]}),
]


@pytest.mark.parametrize(("change", "errors"), END_ERRORS)
def test_end_of_membership_refuses_bad_input(world, meeting, clock, change, errors):
    fields = {"on": MEETING_DAY, "reason": MembershipEnd.DEATH, **change}
    with pytest.raises(ValidationError) as exc:
        member_end(member=world.other_member, **fields)
    assert exc.value.message_dict == errors
    assert "王党员" in due_names(meeting)


def test_end_of_membership_only_once(world, clock):
    member_end(member=world.other_member, on=MEETING_DAY, reason=MembershipEnd.DEATH)
    with pytest.raises(ValidationError) as exc:
        member_end(member=world.other_member, on=MEETING_DAY, reason=MembershipEnd.DEATH)
    assert exc.value.message_dict == {"member": ["王党员已不在册"]}


def test_taking_a_member_off_the_roster_by_edit_updates_due_lists_from_today(world, meeting, clock):
    member_update(member=world.other_member, is_active=False)
    assert due_names(meeting) == ["张书记", "李党员"]
    member_update(member=world.other_member, is_active=True)
    assert due_names(meeting) == ["张书记", "李党员", "王党员"]


def test_transfer_queries_do_not_grow_with_the_roster(world, clock):
    """The due lists follow with a fixed number of queries per open meeting, whatever the size
    of the branches."""
    counts = []
    for extra in (0, 8):
        with transaction.atomic():
            for i in range(extra):
                MemberFactory(name=f"新党员{i}", branch=world.branch, since=date(2020, 1, 1))
                MemberFactory(name=f"他党员{i}", branch=world.sibling, since=date(2020, 1, 1))
            old = services.meeting_schedule(
                actor=world.secretary,
                org=world.branch,
                meeting_type="general_meeting",
                topic="党员大会",
                planned_start=START,
                planned_end=END,
            )
            new = sibling_meeting(world)
            with CaptureQueriesContext(connection) as ctx:
                member_transfer(member=world.member, branch=world.sibling, on=MEETING_DAY)
            counts.append(len(ctx.captured_queries))
            assert len(due_names(old)) == 2 + extra and len(due_names(new)) == 3 + extra
            transaction.set_rollback(True)
    assert counts[0] == counts[1]
