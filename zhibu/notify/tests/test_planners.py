from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from zhibu.notify.models import Delivery, Notice, Reason
from zhibu.notify.planners import run_planners
from zhibu.orglife.models import (
    Attendance,
    LeaveRequest,
    Makeup,
    Meeting,
    MeetingStatus,
    Outcome,
)

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 10, 20, 10, 0, tzinfo=timezone.get_default_timezone())


def meeting(org, start, *, status=MeetingStatus.PLANNED, attendees=(), notice=True, **kw):
    m = Meeting.objects.create(
        org=org,
        meeting_type=kw.pop("meeting_type", "party_day"),
        topic=kw.pop("topic", "学习党章"),
        planned_start=start,
        planned_end=start + timedelta(hours=3),
        status=status,
        notice_sent_at=start - timedelta(days=5) if notice else None,
        **kw,
    )
    for member in attendees:
        Attendance.objects.create(meeting=m, member=member)
    return m


@time_machine.travel(NOW, tick=False)
def test_meeting_notice_once_per_attendee_however_often_planned(world):
    meeting(world.branch, NOW + timedelta(days=3), attendees=[world.member, world.other_member])
    run_planners()
    run_planners()
    notices = Notice.objects.filter(reason=Reason.MEETING_NOTICE)
    # the member with an account, and the branch's group chats; 王党员 has no account
    assert notices.filter(recipient=world.member_user).count() == 1
    assert notices.filter(recipient__isnull=True, org=world.branch).count() == 1
    assert notices.count() == 2
    assert "学习党章" in notices.first().title
    assert notices.first().url.startswith("/orglife/meetings/")  # links to where it is done


@time_machine.travel(NOW, tick=False)
def test_reminder_the_day_before_skips_those_who_asked_for_leave(world):
    m = meeting(
        world.branch, NOW + timedelta(hours=20), attendees=[world.member, world.secretary_member]
    )
    LeaveRequest.objects.create(meeting=m, member=world.member, reason="出差", requested_at=NOW)
    run_planners()
    reminded = set(
        Notice.objects.filter(reason=Reason.MEETING_REMINDER).values_list("recipient", flat=True)
    )
    assert reminded == {world.secretary.pk}


@time_machine.travel(NOW, tick=False)
def test_pending_leave_goes_to_the_secretary_not_to_the_sibling_branch(world):
    m = meeting(world.branch, NOW + timedelta(days=2), attendees=[world.member])
    LeaveRequest.objects.create(meeting=m, member=world.member, reason="出差", requested_at=NOW)
    run_planners()
    notice = Notice.objects.get(reason=Reason.LEAVE_PENDING)
    assert notice.recipient == world.secretary
    assert "李党员" in notice.title
    assert notice.url == "/orglife/leave/"


@time_machine.travel(NOW, tick=False)
def test_three_overdue_makeups_make_one_message(world):
    past = meeting(world.branch, NOW - timedelta(days=60), status=MeetingStatus.CONFIRMED)
    for i in range(3):
        m = meeting(
            world.branch,
            NOW - timedelta(days=60 + i),
            status=MeetingStatus.CONFIRMED,
            topic=f"第{i}次学习",
        )
        a = Attendance.objects.create(meeting=m, member=world.member, outcome=Outcome.ABSENT)
        Makeup.objects.create(attendance=a, member=world.member, due_date=date(2026, 9, 1 + i))
    assert past
    run_planners()
    notices = Notice.objects.filter(reason=Reason.MAKEUP_DUE)
    assert notices.count() == 1
    notice = notices.get()
    assert notice.recipient == world.member_user
    assert "3 项补课" in notice.title and "已逾期" in notice.title
    assert notice.body.count("·") == 3
    assert notice.url == "/orglife/my/"


@time_machine.travel(NOW, tick=False)
def test_email_deliveries_follow_preferences_and_quiet_hours(world):
    from zhibu.notify.services import preference_save

    type(world.member_user).objects.filter(pk=world.member_user.pk).update(email="li@example.org")
    type(world.secretary).objects.filter(pk=world.secretary.pk).update(email="zhang@example.org")
    preference_save(
        actor=world.secretary, muted={"meeting_notice": ["email"]}, quiet_start=None, quiet_end=None
    )
    meeting(world.branch, NOW + timedelta(days=3), attendees=[world.member, world.secretary_member])
    run_planners()
    emails = Delivery.objects.filter(channel="email")
    assert list(emails.values_list("target", flat=True)) == ["li@example.org"]


def test_quiet_hours_push_to_morning():
    from zhibu.notify.services import quiet_until

    tz = timezone.get_default_timezone()
    night = datetime(2026, 10, 20, 23, 30, tzinfo=tz)
    assert quiet_until(night, 22, 7) == datetime(2026, 10, 21, 7, 0, tzinfo=tz)
    early = datetime(2026, 10, 21, 6, 59, tzinfo=tz)
    assert quiet_until(early, 22, 7) == datetime(2026, 10, 21, 7, 0, tzinfo=tz)
    day = datetime(2026, 10, 21, 7, 0, tzinfo=tz)
    assert quiet_until(day, 22, 7) == day


@time_machine.travel(NOW, tick=False)
def test_compliance_reminders_before_the_end_and_escalation_after_grace(world):
    from zhibu.compliance.models import Obligation

    def ob(**kw):
        base = {
            "org": world.branch,
            "rule_id": "organ_party_day_monthly",
            "family": "party_day",
            "severity": "high",
            "explanation": "本月党日 0.5 天，要求 1 天",
            "numbers": {},
            "evaluated_at": NOW,
        }
        return Obligation.objects.create(**(base | kw))

    ob(
        period_key="2026-10",
        period_first=date(2026, 10, 1),
        period_last=date(2026, 10, 24),
        status="at_risk",
    )
    ob(
        period_key="2026-09",
        period_first=date(2026, 9, 1),
        period_last=date(2026, 9, 30),
        status="not_met",
    )
    ob(
        rule_id="organ_member_report_quarterly",
        family="reports",
        member=world.member,
        period_key="2026Q4",
        period_first=date(2026, 10, 1),
        period_last=date(2026, 10, 22),
        status="at_risk",
        explanation="本季度尚未提交思想汇报",
    )
    # far from the end: no reminder yet
    ob(
        rule_id="general_meeting_quarterly",
        family="meetings",
        period_key="2026Q4",
        period_first=date(2026, 10, 1),
        period_last=date(2026, 12, 31),
        status="at_risk",
    )
    run_planners()
    at_risk = Notice.objects.filter(reason=Reason.AT_RISK, recipient=world.secretary)
    assert [n.body for n in at_risk] == ["本月党日 0.5 天，要求 1 天"]
    escalated = Notice.objects.get(reason=Reason.ESCALATION)
    assert escalated.recipient == world.admin and "2026-09" in escalated.title
    assert escalated.url == f"/compliance/branch/{world.branch.pk}/"
    report = Notice.objects.get(reason=Reason.REPORT_DUE)
    assert report.recipient == world.member_user and "思想汇报" in report.body


@time_machine.travel(NOW, tick=False)
def test_probation_reminder_lead_is_the_branch_parameter(world):
    from zhibu.members.models import Member, MemberStatus
    from zhibu.orgs.services import parameter_set

    # Probation ends 2026-11-10 (21 days ahead of 20 October) in the branch and the sibling.
    Member.objects.filter(pk__in=[world.member.pk, world.sibling_member.pk]).update(
        status=MemberStatus.PROBATIONARY, join_date=date(2025, 11, 10)
    )
    # The registry's 30 days: both are reminded.
    run_planners()
    reminded = Notice.objects.filter(reason=Reason.PROBATION_ENDING)
    assert set(reminded.values_list("recipient", flat=True)) >= {world.member_user.pk}
    assert "2026年11月10日" in reminded.get(recipient=world.member_user).title
    Notice.objects.all().delete()
    # A shorter lead in the branch (14 days): 21 days ahead is not yet time there.
    parameter_set(
        actor=world.admin,
        org=world.branch,
        key="probation_notice_days",
        value=14,
        reason="支部统一在届满前两周提醒",
    )
    run_planners()
    reminded = Notice.objects.filter(reason=Reason.PROBATION_ENDING)
    assert not reminded.filter(recipient=world.member_user).exists()
    assert reminded.filter(recipient=world.sibling_secretary).exists()  # sibling keeps 30


@time_machine.travel(NOW, tick=False)
def test_email_falls_back_to_the_roster_address(world):
    from zhibu.members.models import Member

    Member.objects.filter(pk=world.member.pk).update(email="li-roster@example.org")
    type(world.secretary).objects.filter(pk=world.secretary.pk).update(email="zhang@example.org")
    Member.objects.filter(pk=world.secretary_member.pk).update(email="zhang-roster@example.org")
    meeting(world.branch, NOW + timedelta(days=3), attendees=[world.member, world.secretary_member])
    run_planners()
    emails = Delivery.objects.filter(channel="email")
    assert sorted(emails.values_list("target", flat=True)) == [
        "li-roster@example.org",  # no address on the account: the roster's
        "zhang@example.org",  # the account's own address wins
    ]


# ---- committee terms -------------------------------------------------------------------------


def _term_notices():
    return Notice.objects.filter(reason=Reason.TERM_ENDING)


@time_machine.travel(NOW, tick=False)
def test_term_ending_reminds_leaders_and_the_parents_administrators(world):
    from zhibu.members.services import election_record

    # elected 2023-12-01: the term's last day is 2026-11-30, 41 days from NOW (window 45)
    election_record(org=world.branch, held_on=date(2023, 12, 1))
    # the sibling's term ends 2027-01-14: outside the window
    election_record(org=world.sibling, held_on=date(2024, 1, 15))
    run_planners(NOW)
    notices = list(_term_notices())
    assert {n.recipient_id for n in notices} == {world.secretary.pk, world.admin.pk}
    assert {n.org_id for n in notices} == {world.branch.pk}
    assert notices[0].title == "第一党支部 委员会任期将于 2026年11月30日 届满"
    assert notices[0].url == f"/members/committee/{world.branch.pk}/"
    run_planners(NOW)  # planning again creates nothing new
    assert _term_notices().count() == 2


@time_machine.travel(NOW, tick=False)
def test_term_overdue_and_a_new_election_stops_reminders(world):
    from zhibu.members.services import election_record

    election_record(org=world.branch, held_on=date(2023, 3, 1))
    election_record(org=world.sibling, held_on=date(2023, 3, 1))
    election_record(org=world.sibling, held_on=date(2026, 3, 1))  # re-elected on time
    run_planners(NOW)
    titles = set(_term_notices().values_list("title", flat=True))
    assert titles == {"第一党支部 委员会任期已于 2026年02月28日 届满，尚未换届"}


@time_machine.travel(NOW, tick=False)
def test_term_planner_query_count_does_not_grow(world, django_assert_max_num_queries):
    from zhibu.members.services import election_record
    from zhibu.notify.planners import terms_ending
    from zhibu.orgs.tests.factories import OrganizationFactory

    election_record(org=world.branch, held_on=date(2023, 12, 1))
    with django_assert_max_num_queries(3):
        few = terms_ending(NOW)
    for i in range(20):
        org = OrganizationFactory(name=f"换届支部{i}", parent=world.committee)
        election_record(org=org, held_on=date(2023, 12, 1))
    with django_assert_max_num_queries(3):
        many = terms_ending(NOW)
    assert len(many) == len(few) + 20  # the committee's administrator, once per branch
