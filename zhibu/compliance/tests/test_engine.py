"""Database tests: facts loaders, evaluation, obligations and status changes, overrides."""

from __future__ import annotations

import os
import threading
from datetime import date, datetime, time, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection

from zhibu.compliance import facts as facts_module
from zhibu.compliance.engine import aggregate, chunks, evaluate, map_chunks
from zhibu.compliance.models import Obligation, RuleOverride, StatusChange
from zhibu.compliance.rules import effective_rules
from zhibu.compliance.services import (
    evaluate_due,
    obligations_refresh,
    obligations_refresh_tree,
    refresh_for_meeting,
    rule_override_set,
)
from zhibu.core.periods import month, quarter
from zhibu.members.services import member_transfer
from zhibu.members.tests.factories import MemberFactory
from zhibu.orglife.models import (
    Attendance,
    DiscussionEntry,
    LeaveRequest,
    Makeup,
    Meeting,
    ProcedureStep,
)
from zhibu.orgs.models import Organization, OrgKind
from zhibu.orgs.services import parameter_set
from zhibu.orgs.tests.factories import GrantFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
D = date


def at(day: date, hhmm: str = "09:00") -> datetime:
    h, m = (int(x) for x in hhmm.split(":"))
    return datetime.combine(day, time(h, m), tzinfo=SH)


def make_meeting(org, day, minutes=180, *, type="party_day", status="confirmed", **kw) -> Meeting:
    start = at(day, kw.pop("start", "09:00"))
    held = status in ("held", "confirmed")
    return Meeting.objects.create(
        org=org,
        meeting_type=type,
        topic=kw.pop("topic", "学习"),
        planned_start=start,
        planned_end=start + timedelta(minutes=max(minutes, 180)),
        actual_start=start if held else None,
        actual_end=start + timedelta(minutes=minutes) if held else None,
        status=status,
        **kw,
    )


APRIL_2 = at(D(2026, 4, 2))


def results_for(results, rule_id, org=None, member=None):
    return [
        r
        for r in results
        if (rule_id is None or r.rule.id == rule_id)
        and (org is None or r.org_id == org.pk)
        and (member is None or r.member_id == member.pk)
    ]


# ---- facts ---------------------------------------------------------------------------------


def leave_approved_in_advance(meeting, member) -> LeaveRequest:
    """Requested on 1 March and approved on 2 March: before any later March meeting."""
    return LeaveRequest.objects.create(
        meeting=meeting,
        member=member,
        reason="出差",
        requested_at=at(D(2026, 3, 1)),
        status="approved",
        decided_at=at(D(2026, 3, 2)),
    )


def test_facts_loader_reads_the_subtree_in_bulk(world):
    w = world
    m1 = make_meeting(w.branch, D(2026, 3, 3), agenda="议程")
    m_group = make_meeting(w.group, D(2026, 3, 4), 90, type="party_group_meeting")
    make_meeting(w.branch, D(2026, 3, 5), status="cancelled")
    make_meeting(w.sibling, D(2026, 3, 6))
    make_meeting(w.outside, D(2026, 3, 7))
    ProcedureStep.objects.create(meeting=m1, code="theme", done_on=D(2026, 3, 1))
    DiscussionEntry.objects.create(meeting=m1, text="发言")
    Attendance.objects.create(meeting=m1, member=w.member, outcome="on_leave")
    Attendance.objects.create(meeting=m1, member=w.other_member, outcome="absent")
    leave_approved_in_advance(m1, w.member)
    absent = Attendance.objects.get(meeting=m1, member=w.other_member)
    Makeup.objects.create(attendance=absent, member=w.other_member, due_date=D(2026, 4, 2))

    orgs = list(Organization.objects.subtree(w.committee))
    store = facts_module.load(w.committee, orgs, D(2026, 1, 1), D(2026, 3, 31))
    branch_meetings = {m.id for m in store.meetings_by_branch[w.branch.pk]}
    assert branch_meetings == {m1.pk, m_group.pk}  # group meeting rolls up; cancelled never
    assert len(store.meetings_by_branch[w.sibling.pk]) == 1
    assert w.outside.pk not in store.meetings_by_branch
    fact = next(m for m in store.meetings_by_branch[w.branch.pk] if m.id == m1.pk)
    assert fact.steps == {"theme"} and fact.discussion_count == 1 and fact.has_agenda
    assert fact.duration_minutes == 180
    rows = {a.member_id: a for a in store.attendances_by_branch[w.branch.pk]}
    assert rows[w.member.pk].excused and not rows[w.other_member.pk].excused
    assert [mk.due_date for mk in store.makeups_by_member[w.other_member.pk]] == [D(2026, 4, 2)]
    assert store.groups_by_branch[w.branch.pk] == (w.group.pk,)
    assert w.outside_member.pk not in store.members
    assert store.reports == []  # the reports app is installed, nothing submitted yet


def test_loader_reads_members_attendance_elsewhere_in_the_window_with_its_leave(world):
    """Attendance at meetings outside the subtree counts for its members — excused by a leave
    approved in advance — unless the meeting is cancelled or outside the window."""
    w = world
    member_transfer(member=w.outside_member, branch=w.branch, on=D(2026, 3, 15))
    excused = make_meeting(w.outside, D(2026, 3, 3), 120, type="general_meeting")
    cancelled = make_meeting(w.outside, D(2026, 3, 4), 120, status="cancelled")
    before = make_meeting(w.outside, D(2025, 12, 20), 120, type="general_meeting")
    for m in (excused, cancelled, before):
        Attendance.objects.create(meeting=m, member=w.outside_member, outcome="on_leave")
    leave_approved_in_advance(excused, w.outside_member)
    here = make_meeting(w.branch, D(2026, 3, 20))
    Attendance.objects.create(meeting=here, member=w.outside_member, outcome="absent")

    orgs = list(Organization.objects.subtree(w.committee))
    store = facts_module.load(w.committee, orgs, D(2026, 1, 1), D(2026, 3, 31))
    rows = {a.meeting.id: a for a in store.attendances_by_member[w.outside_member.pk]}
    assert set(rows) == {excused.pk, here.pk}
    assert rows[excused.pk].excused and not rows[excused.pk].unexcused
    assert rows[here.pk].unexcused
    assert excused.pk not in {a.meeting.id for a in store.attendances_by_branch[w.branch.pk]}


def test_reports_count_once_submitted_and_say_so_without_a_data_source(world, monkeypatch):
    from zhibu.reports.models import ThoughtReport, WorkReport

    w = world
    ThoughtReport.objects.create(
        member=w.member,
        org=w.branch,
        title="一季度思想汇报",
        body="……",
        status="submitted",
        submitted_at=at(D(2026, 2, 10)),
    )
    ThoughtReport.objects.create(member=w.other_member, org=w.branch, title="草稿", body="……")
    WorkReport.objects.create(
        org=w.branch, title="上半年工作", body="……", presented_on=D(2026, 6, 1)
    )
    results = evaluate(w.committee, quarter(2026, 1), APRIL_2)
    quarterly = {
        r.member_id: r.status for r in results_for(results, "organ_member_report_quarterly")
    }
    assert quarterly[w.member.pk] == "met"
    assert quarterly[w.other_member.pk] == "not_met"  # a draft is not a report
    results = evaluate(w.committee, quarter(2026, 2), at(D(2026, 7, 2)))
    work = {r.org_id: r.status for r in results_for(results, "organ_work_report_half_yearly")}
    assert work == {w.branch.pk: "met", w.sibling.pk: "not_met"}

    monkeypatch.setattr(facts_module, "reports_models", lambda: None)
    results = evaluate(w.committee, quarter(2026, 1), APRIL_2)
    quarterly = results_for(results, "organ_member_report_quarterly")
    assert {r.status for r in quarterly} == {"not_applicable"}
    assert "尚未接入" in quarterly[0].verdict.explanation


def test_member_transferred_in_keeps_old_branch_attendance(world):
    w = world
    old = make_meeting(w.outside, D(2026, 7, 10), 120, type="general_meeting")
    Attendance.objects.create(meeting=old, member=w.outside_member, outcome="absent")
    member_transfer(member=w.outside_member, branch=w.branch, on=D(2026, 8, 15))
    with time_machine.travel(at(D(2026, 10, 2)), tick=False):
        results = evaluate(w.committee, quarter(2026, 3))
    mine = results_for(results, "organ_leave_approval", member=w.outside_member)
    # Monthly rule: July was spent elsewhere; August and September belong to this branch.
    assert {r.period.key for r in mine} == {"2026-08", "2026-09"}
    dual = results_for(results, "organ_dual_org_life", member=w.outside_member)
    assert [r.org_id for r in dual] == [w.branch.pk]
    with time_machine.travel(at(D(2026, 10, 2)), tick=False):
        outside = evaluate(w.outside.parent, quarter(2026, 3))
    july = results_for(outside, "organ_leave_approval", member=w.outside_member)
    assert [(r.period.key, r.status) for r in july] == [("2026-07", "not_met")]


# ---- evaluation ----------------------------------------------------------------------------


def test_evaluate_gives_branch_and_member_verdicts_and_aggregates(world):
    w = world
    make_meeting(w.branch, D(2026, 1, 6), 360)  # January and February keep the pace
    make_meeting(w.branch, D(2026, 2, 3), 360)
    for day in (D(2026, 3, 3), D(2026, 3, 17)):
        m = make_meeting(w.branch, day)
        for member in (w.secretary_member, w.member, w.other_member):
            Attendance.objects.create(meeting=m, member=member, outcome="present")
    results = evaluate(w.committee, month(2026, 3), APRIL_2)
    assert {r.org_id for r in results} == {w.branch.pk, w.sibling.pk}
    pd = results_for(results, "organ_party_day_monthly")
    assert {r.org_id: r.status for r in pd if r.period.key == "2026-03"} == {
        w.branch.pk: "met",
        w.sibling.pk: "not_met",
    }
    leave = results_for(results, "organ_leave_approval", org=w.branch)
    assert {r.member_id for r in leave} == {
        w.secretary_member.pk,
        w.member.pk,
        w.other_member.pk,
    }
    # A month view also shows the containing quarter, half and year.
    assert {r.period.key for r in results} >= {"2026-03", "2026Q1", "2026H1", "2026"}
    counts = aggregate(results, list(Organization.objects.subtree(w.committee)))
    assert counts[w.committee.pk]["total"] == len(results)
    assert counts[w.committee.pk]["not_met"] == (
        counts[w.branch.pk]["not_met"] + counts[w.sibling.pk]["not_met"]
    )
    assert counts[w.group.pk]["total"] == 0


def test_period_before_the_branch_existed(world):
    w = world
    young = OrganizationFactory(name="新支部", parent=w.committee, founded_on=D(2026, 3, 15))
    results = evaluate(young, month(2026, 3), APRIL_2)
    pd = results_for(results, "organ_party_day_monthly")
    assert [r.status for r in pd] == ["not_applicable"]
    assert "2026-03-15" in pd[0].verdict.explanation


def test_leading_cadre_with_grants_in_two_organizations(world):
    """Grants give rights, not a second branch: one dual-life verdict, in the cadre's branch."""
    w = world
    cadre_user = UserFactory()
    cadre = MemberFactory(name="领导", branch=w.sibling, user=cadre_user, is_leading_cadre=True)
    GrantFactory(user=cadre_user, org=w.committee, role="org_viewer")
    GrantFactory(user=cadre_user, org=w.branch, role="org_admin")
    gm = make_meeting(w.sibling, D(2026, 8, 10), 120, type="general_meeting")
    Attendance.objects.create(meeting=gm, member=cadre, outcome="absent")
    results = evaluate(w.committee, quarter(2026, 3), at(D(2026, 10, 2)))
    dual = results_for(results, "organ_dual_org_life", member=cadre)
    assert [(r.org_id, r.status) for r in dual] == [(w.sibling.pk, "not_met")]
    others = [r for r in results_for(results, "organ_dual_org_life") if r.member_id != cadre.pk]
    assert {r.status for r in others} == {"not_applicable"}


def test_ytd_caps_now_at_the_date(world):
    w = world
    make_meeting(w.branch, D(2026, 1, 6), 360)
    make_meeting(w.branch, D(2026, 2, 3), 360)
    results = evaluate(w.committee, parse_ytd(D(2026, 2, 10)), at(D(2026, 12, 1)))
    keys = {r.period.key for r in results_for(results, "organ_party_day_monthly", org=w.branch)}
    assert keys == {"2026-01", "2026-02"}
    feb = [
        r
        for r in results_for(results, "organ_party_day_monthly", org=w.branch)
        if r.period.key == "2026-02"
    ]
    assert feb[0].status == "met"
    yearly = results_for(results, "organ_party_day_yearly", org=w.branch)
    # As of 10 February the year is on pace and far from its end (as of 1 December it
    # would be at risk: 4 of 24 half-days with 31 days left).
    assert yearly[0].status == "open"


def parse_ytd(day):
    from zhibu.core.periods import ytd

    return ytd(day)


def test_query_count_does_not_grow_with_branches(django_assert_num_queries):
    def build(n: int) -> Organization:
        root = OrganizationFactory(name=f"工委{n}", kind=OrgKind.ORGANS_WORK_COMMITTEE)
        branches = [OrganizationFactory(parent=root) for _ in range(n)]
        members = [MemberFactory(branch=b) for b in branches]
        meetings = Meeting.objects.bulk_create(
            Meeting(
                org=b,
                meeting_type="party_day",
                topic="学习",
                planned_start=at(D(2026, 3, 3)),
                planned_end=at(D(2026, 3, 3), "12:00"),
                actual_start=at(D(2026, 3, 3)),
                actual_end=at(D(2026, 3, 3), "12:00"),
                status="confirmed",
            )
            for b in branches
        )
        meetings = Meeting.objects.filter(org__in=branches).order_by("org_id")
        Attendance.objects.bulk_create(
            Attendance(meeting=m, member=mem, outcome="present")
            for m, mem in zip(meetings, members, strict=True)
        )
        # A parameter set at the root reaches every branch's verdicts without a query more.
        Organization.objects.filter(pk=root.pk).update(settings={"half_day_minutes": 210})
        return root

    small, large = build(3), build(300)
    # organizations, overrides, meetings, steps, discussion, tenures at the subtree and its
    # members' elsewhere, leave requests,
    # attendances at the subtree's meetings and its members' elsewhere (and those meetings,
    # when there are any: none here), make-ups, thought reports, work reports, term elections
    queries = 14
    with django_assert_num_queries(queries):
        few = evaluate(small, month(2026, 3), APRIL_2)
    with django_assert_num_queries(queries):
        many = evaluate(large, month(2026, 3), APRIL_2)
    assert len(many) == len(few) * 100


# ---- obligations and status changes --------------------------------------------------------


def test_obligations_upsert_and_status_change_once(world):
    w = world
    now = at(D(2026, 3, 20))
    first = obligations_refresh(org=w.committee, period=month(2026, 3), now=now)
    assert first["created"] == Obligation.objects.count() > 0
    pd = Obligation.objects.get(
        org=w.branch, rule_id="organ_party_day_monthly", period_key="2026-03"
    )
    assert pd.status == "at_risk" and pd.member_id is None
    assert pd.explanation.startswith("2026年3月：已开展党日 0 个半天，要求 2 个半天")
    announced = StatusChange.objects.filter(obligation=pd)
    assert [(c.old_status, c.new_status) for c in announced] == [("", "at_risk")]
    met_rows = Obligation.objects.filter(status="met")
    assert not StatusChange.objects.filter(obligation__in=met_rows).exists()
    changes_before = StatusChange.objects.count()

    again = obligations_refresh(org=w.committee, period=month(2026, 3), now=now)
    assert again["created"] == again["updated"] == again["changes"] == 0
    assert StatusChange.objects.count() == changes_before

    for day in (D(2026, 3, 3), D(2026, 3, 10), D(2026, 3, 17)):  # three days: the year's pace
        make_meeting(w.branch, day, 360)
    later = at(D(2026, 3, 21))
    third = obligations_refresh(org=w.committee, period=month(2026, 3), now=later)
    pd.refresh_from_db()
    assert pd.status == "met" and pd.evaluated_at == later
    change = StatusChange.objects.filter(obligation=pd).latest("at")
    assert (change.old_status, change.new_status, change.processed_at) == ("at_risk", "met", None)
    assert third["changes"] >= 1
    # The sibling's obligation did not change: no new row for it.
    sibling_pd = Obligation.objects.get(
        org=w.sibling, rule_id="organ_party_day_monthly", period_key="2026-03"
    )
    assert sibling_pd.changes.count() == 1


def test_evaluate_due_turns_at_risk_into_not_met_after_the_deadline(world):
    w = world
    make_meeting(w.branch, D(2026, 1, 5))
    make_meeting(w.branch, D(2026, 1, 12))
    make_meeting(w.branch, D(2026, 3, 3))  # March: 1 unit of 2, behind pace (3 of 6)
    evaluate_due(now=at(D(2026, 3, 25)))
    pd = Obligation.objects.get(
        org=w.branch, rule_id="organ_party_day_monthly", period_key="2026-03"
    )
    assert pd.status == "at_risk"
    # 1 April 00:30 in Shanghai is still 31 March in UTC: March's deadline has passed.
    just_after = datetime(2026, 3, 31, 16, 30, tzinfo=ZoneInfo("UTC"))
    summary = evaluate_due(now=just_after)
    pd.refresh_from_db()
    assert pd.status == "not_met"
    assert summary["roots"] == 2
    assert Obligation.objects.filter(period_key="2026-04").exists()
    assert pd.changes.filter(old_status="at_risk", new_status="not_met").count() == 1


def test_refresh_for_meeting_updates_its_branch_at_once(world):
    w = world
    with time_machine.travel(at(D(2026, 3, 20)), tick=False):
        m = make_meeting(w.group, D(2026, 3, 4), 90, type="party_group_meeting")
        refresh_for_meeting(m)
        ob = Obligation.objects.get(
            org=w.branch, rule_id="party_group_meeting_monthly", period_key="2026-03"
        )
    assert ob.status == "met"
    assert not Obligation.objects.filter(org=w.sibling).exists()
    # the meeting's month and everything after it that has started, never an earlier month
    keys = set(Obligation.objects.filter(org=w.branch).values_list("period_key", flat=True))
    assert {"2026-03", "2026Q1", "2026H1", "2026"} <= keys
    assert not keys & {"2026-01", "2026-02", "2026-04"}


def test_refresh_after_moving_a_meeting_refreshes_the_month_it_left(world):
    w = world
    with time_machine.travel(at(D(2026, 3, 20)), tick=False):
        m = make_meeting(w.group, D(2026, 2, 24), 90, type="party_group_meeting")
        refresh_for_meeting(m)
        february = Obligation.objects.get(
            org=w.branch, rule_id="party_group_meeting_monthly", period_key="2026-02"
        )
        assert february.status == "met"
        moved = at(D(2026, 3, 3))
        Meeting.objects.filter(pk=m.pk).update(
            planned_start=moved,
            planned_end=moved + timedelta(minutes=90),
            actual_start=moved,
            actual_end=moved + timedelta(minutes=90),
        )
        m.refresh_from_db()
        refresh_for_meeting(m, since=D(2026, 2, 24))
    february.refresh_from_db()
    assert february.status == "not_met"
    march = Obligation.objects.get(
        org=w.branch, rule_id="party_group_meeting_monthly", period_key="2026-03"
    )
    assert march.status == "met"


# ---- overrides -----------------------------------------------------------------------------


def test_stricter_parameter_applies_to_the_subtree(world):
    w = world
    parameter_set(actor=w.admin, org=w.committee, key="half_day_minutes", value=240)
    make_meeting(w.branch, D(2026, 3, 3), 200)
    make_meeting(w.outside, D(2026, 3, 3), 200)
    inside = results_for(evaluate(w.committee, month(2026, 3), APRIL_2), "organ_time_full")
    outside = results_for(evaluate(w.outside, month(2026, 3), APRIL_2), "organ_time_full")
    mine = {r.org_id: r for r in inside}[w.branch.pk]
    assert mine.status == "not_met" and "半天按 4 小时计" in mine.verdict.explanation
    assert mine.rule.params["half_day_minutes"] == 240
    assert outside[0].status == "met"


def test_stricter_override_applies_to_the_subtree(world):
    w = world
    rule_override_set(
        actor=w.admin,
        org=w.committee,
        rule_id="organ_party_day_yearly",
        params={"yearly_units": 30},
    )
    rules = effective_rules([w.branch, w.outside])
    strict = {r.id: r for r in rules[w.branch.pk]}["organ_party_day_yearly"]
    assert strict.params["yearly_units"] == 30 and not strict.loosened
    other = {r.id: r for r in rules[w.outside.pk]}["organ_party_day_yearly"]
    assert other.params["yearly_units"] == 24


LOOSE = {"max_unexcused": 2}  # organ_leave_approval allows none


def test_loosening_needs_the_flag_and_a_reason(world):
    w = world
    with pytest.raises(ValidationError) as err:
        rule_override_set(
            actor=w.admin, org=w.committee, rule_id="organ_leave_approval", params=LOOSE
        )
    assert "loosens" in err.value.message_dict
    assert "放宽" in err.value.message_dict["loosens"][0]
    with pytest.raises(ValidationError) as err:
        rule_override_set(actor=w.admin, org=w.committee, rule_id="organ_makeup", enabled=False)
    assert "停用规则" in err.value.message_dict["loosens"][0]
    with pytest.raises(ValidationError) as err:
        rule_override_set(
            actor=w.admin,
            org=w.committee,
            rule_id="organ_leave_approval",
            params=LOOSE,
            loosens=True,
        )
    assert "reason" in err.value.message_dict
    assert not RuleOverride.objects.exists()

    rule_override_set(
        actor=w.admin,
        org=w.committee,
        rule_id="organ_leave_approval",
        params=LOOSE,
        loosens=True,
        reason="试点：山区交通不便",
    )
    rule = {r.id: r for r in effective_rules([w.branch])[w.branch.pk]}["organ_leave_approval"]
    assert rule.loosened and rule.params["max_unexcused"] == 2


def test_override_validation_messages(world):
    w = world
    with pytest.raises(ValidationError) as err:
        rule_override_set(actor=w.admin, org=w.committee, rule_id="no_such_rule")
    assert "rule_id" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        rule_override_set(
            actor=w.admin, org=w.committee, rule_id="organ_time_full", params={"hours": 5}
        )
    assert "hours" in err.value.message_dict["params"][0]
    # A parameter of organizational life is set in the registry, not on a rule.
    with pytest.raises(ValidationError) as err:
        rule_override_set(
            actor=w.admin, org=w.committee, rule_id="organ_makeup", params={"makeup_days": 10}
        )
    assert err.value.message_dict["params"] == [
        "“补课期限”是组织生活参数，请在组织页面的“组织生活参数”中设置"
    ]
    # A secretary can tighten their own branch but not reach the committee.
    from django.http import Http404

    with pytest.raises(Http404):
        rule_override_set(actor=w.secretary, org=w.committee, rule_id="organ_time_full", params={})


def test_unflagged_loosening_row_is_ignored_and_disabled_rule_is_shown(world):
    w = world
    RuleOverride.objects.create(
        org=w.committee, rule_id="organ_leave_approval", params={"max_unexcused": 3}
    )
    RuleOverride.objects.create(
        org=w.committee, rule_id="organ_makeup", enabled=False, loosens=True, reason="试点"
    )
    rules = {r.id: r for r in effective_rules([w.branch])[w.branch.pk]}
    assert rules["organ_leave_approval"].params["max_unexcused"] == 0
    results = evaluate(w.committee, month(2026, 3), APRIL_2)
    makeups = results_for(results, "organ_makeup")
    assert makeups and {r.status for r in makeups} == {"not_applicable"}
    assert "放宽要求：试点" in makeups[0].verdict.explanation


def test_category_selects_profiles():
    enterprise = OrganizationFactory(name="企业支部", category="enterprise")
    ids = {r.id for r in effective_rules([enterprise])[enterprise.pk]}
    assert "party_day_monthly" in ids and "organ_party_day_monthly" not in ids
    assert "party_lecture_quarterly" in ids
    organ = OrganizationFactory(name="机关支部", category="organ")
    ids = {r.id for r in effective_rules([organ])[organ.pk]}
    assert {"organ_party_day_monthly", "organ_party_lecture_quarterly"} <= ids
    assert "party_day_monthly" not in ids  # one fact, one finding: the organ pace check
    assert "party_lecture_quarterly" not in ids  # replaced by the organ rule
    switched = OrganizationFactory(
        name="试点支部", category="enterprise", settings={"compliance_profiles": ["organ_model"]}
    )
    ids = {r.id for r in effective_rules([switched])[switched.pk]}
    assert "organ_party_day_monthly" in ids and "party_day_monthly" not in ids


# ---- large trees: chunks and processes -----------------------------------------------------


def _signature(results) -> list[tuple]:
    return sorted(
        (*r.key, r.org_id, r.status, r.verdict.pattern, r.verdict.explanation) for r in results
    )


def test_chunks_cover_every_branch_within_the_limit(world):
    w = world
    general = OrganizationFactory(name="党总支", kind=OrgKind.GENERAL_BRANCH, parent=w.committee)
    under = [OrganizationFactory(parent=general) for _ in range(3)]
    found = chunks(w.committee, max_branches=3)
    # the committee holds 5 branches: too many, so its children are the chunks
    assert [c.pk for c in found] == [w.branch.pk, w.sibling.pk, general.pk]
    assert [c.pk for c in chunks(w.committee, max_branches=1)] == [
        w.branch.pk,
        w.sibling.pk,
        *[b.pk for b in under],
    ]
    assert [c.pk for c in chunks(w.committee)] == [w.committee.pk]
    assert chunks(OrganizationFactory(kind=OrgKind.ORGANS_WORK_COMMITTEE)) == []


def test_chunked_evaluation_gives_the_same_results_as_the_whole_tree(world):
    w = world
    make_meeting(w.sibling, D(2026, 7, 10), 120, type="general_meeting")
    old = make_meeting(w.branch, D(2026, 7, 3), 200)
    Attendance.objects.create(meeting=old, member=w.other_member, outcome="absent")
    member_transfer(member=w.other_member, branch=w.sibling, on=D(2026, 8, 15))
    with time_machine.travel(at(D(2026, 10, 2)), tick=False):
        whole = evaluate(w.committee, quarter(2026, 3))
        parts = [
            r for c in chunks(w.committee, max_branches=1) for r in evaluate(c, quarter(2026, 3))
        ]
    assert len(parts) == len(whole) > 0
    assert _signature(parts) == _signature(whole)
    moved = results_for(parts, "organ_leave_approval", member=w.other_member)
    assert {(r.org_id, r.period.key) for r in moved} == {
        (w.branch.pk, "2026-07"),
        (w.sibling.pk, "2026-08"),
        (w.sibling.pk, "2026-09"),
    }


def test_path_range_filters_give_what_literal_ids_give(world, monkeypatch):
    """A large subtree is filtered by its path range, a chunk by literal ids: same facts."""
    w = world
    old = make_meeting(w.outside, D(2026, 7, 10), 120, type="general_meeting")
    Attendance.objects.create(meeting=old, member=w.outside_member, outcome="absent")
    member_transfer(member=w.outside_member, branch=w.branch, on=D(2026, 8, 15))
    m = make_meeting(w.branch, D(2026, 9, 3))
    Attendance.objects.create(meeting=m, member=w.other_member, outcome="absent")
    with time_machine.travel(at(D(2026, 10, 2)), tick=False):
        literal = evaluate(w.committee, quarter(2026, 3))
        monkeypatch.setattr(facts_module, "LITERAL_IDS", 0)
        monkeypatch.setattr(facts_module, "LITERAL_MEETINGS", 0)
        ranges = evaluate(w.committee, quarter(2026, 3))
    assert len(literal) > 0 and _signature(ranges) == _signature(literal)
    moved = results_for(ranges, "organ_leave_approval", member=w.outside_member)
    assert {r.period.key for r in moved} == {"2026-08", "2026-09"}


def test_members_without_records_share_verdicts_judged_once(world, monkeypatch):
    w = world
    a = MemberFactory(name="甲", branch=w.branch, since=D(2020, 1, 1))
    b = MemberFactory(name="乙", branch=w.branch, since=D(2020, 1, 1))
    late = MemberFactory(name="丙", branch=w.branch, since=D(2026, 8, 1))
    cadre = MemberFactory(name="丁", branch=w.branch, since=D(2020, 1, 1), is_leading_cadre=True)
    m = make_meeting(w.branch, D(2026, 7, 3))
    Attendance.objects.create(meeting=m, member=w.other_member, outcome="absent")
    judged = []
    member_facts = facts_module.FactStore.member_facts

    def spy(store, branch_id, member_id, day):
        judged.append(member_id)
        return member_facts(store, branch_id, member_id, day)

    monkeypatch.setattr(facts_module.FactStore, "member_facts", spy)
    with time_machine.travel(at(D(2026, 10, 2)), tick=False):
        shared = evaluate(w.committee, quarter(2026, 3))
        judged_once = set(judged)
        monkeypatch.setattr(facts_module.FactStore, "recordless_signature", lambda *_: None)
        alone = evaluate(w.committee, quarter(2026, 3))
    assert _signature(shared) == _signature(alone)

    def verdicts(member):
        return [
            (r.rule.id, r.period.key, r.verdict) for r in results_for(shared, None, member=member)
        ]

    assert len(verdicts(a)) > 0 and verdicts(a) == verdicts(b)
    # a and b are judged once (the lower id); the others differ in what kinds read: a later
    # tenure (silence since August), leading cadre (dual life), an absence.
    assert a.pk in judged_once and b.pk not in judged_once
    assert {late.pk, cadre.pk, w.other_member.pk} <= judged_once
    assert len(verdicts(late)) < len(verdicts(a))
    assert verdicts(cadre) != verdicts(a)


@pytest.mark.django_db(transaction=True)
def test_tree_refresh_in_two_processes_persists_what_one_refresh_does(world):
    """Forked workers need committed rows (a transactional test); SQLite runs in-process."""
    w = world
    make_meeting(w.branch, D(2026, 3, 3), 200)
    make_meeting(w.sibling, D(2026, 3, 4), 50)
    expected = _signature(evaluate(w.committee, month(2026, 3), APRIL_2))
    summary = obligations_refresh_tree(
        org=w.committee, period=month(2026, 3), now=APRIL_2, workers=2
    )
    assert summary["chunks"] == 1
    rows = Obligation.objects.filter(org__in=[w.branch, w.sibling])
    assert rows.count() == summary["evaluated"] == len(expected)
    with mock.patch("zhibu.compliance.engine.CHUNK_BRANCHES", 1):
        again = obligations_refresh_tree(
            org=w.committee, period=month(2026, 3), now=APRIL_2, workers=2
        )
    assert again["chunks"] == 2
    assert again["evaluated"] == summary["evaluated"]
    assert again["created"] == again["updated"] == again["changes"] == 0
    assert {(ob.rule_id, ob.period_key, ob.org_id, ob.member_id, ob.status) for ob in rows} == {
        (rule_id, key, org_id, member if kind == "member" else None, status)
        for kind, member, rule_id, key, org_id, status, _p, _e in expected
    }


def test_evaluation_pauses_the_garbage_collector_and_restores_it(world):
    import gc

    w = world.committee
    seen = []
    real_load = facts_module.load

    def spy(*args, **kw):
        seen.append(gc.isenabled())
        return real_load(*args, **kw)

    assert gc.isenabled()
    with mock.patch.object(facts_module, "load", spy):
        evaluate(w, month(2026, 3), APRIL_2)
    assert seen == [False] and gc.isenabled()
    boom = mock.patch.object(facts_module, "load", side_effect=RuntimeError("boom"))
    with boom, pytest.raises(RuntimeError):
        evaluate(w, month(2026, 3), APRIL_2)
    assert gc.isenabled()
    gc.disable()
    try:
        evaluate(w, month(2026, 3), APRIL_2)
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()


def _pid(pk: int) -> int:
    """A chunk function for map_chunks (module-level: workers receive it by name)."""
    return os.getpid()


@pytest.mark.django_db(transaction=True)
def test_map_chunks_forks_workers_only_where_it_safely_can(world):
    with mock.patch("zhibu.compliance.engine.CHUNK_BRANCHES", 1):
        pids = map_chunks(_pid, world.committee, workers=2)
    assert len(pids) == 2
    # forked workers on PostgreSQL and MariaDB; in-process on SQLite, or when other threads
    # (a test live server) would have their connections copied into the children
    forkable = connection.vendor != "sqlite" and threading.active_count() == 1
    assert (os.getpid() not in pids) == forkable


def _parallel_workers(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL session setting")
def test_forked_workers_query_without_postgresql_parallel_workers(world):
    """The pool keeps the cores busy; helper processes per query would contend with it."""
    import threading

    default = _parallel_workers(0)
    if threading.active_count() > 1:
        # A session-scoped browser fixture of an earlier test keeps a thread alive, so
        # map_chunks (rightly) will not fork here: check the worker's own session instead.
        from zhibu.compliance.engine import _in_worker

        settings = [_in_worker(_parallel_workers, 0), _in_worker(_parallel_workers, 0)]
    else:
        with mock.patch("zhibu.compliance.engine.CHUNK_BRANCHES", 1):
            settings = map_chunks(_parallel_workers, world.committee, workers=2)
    assert settings == ["0", "0"] and default != "0"
    assert _parallel_workers(0) == default  # this process's session is left as it was
