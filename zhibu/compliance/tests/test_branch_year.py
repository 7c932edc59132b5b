"""A whole organ branch-year built through the services, judged month by month.

Every expected status, pattern and needed number below is written by hand from the organ
rules (two half-days a month as a pace, DOMAIN.md §0), not computed: the table is the
specification a secretary would check against their own records.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from zhibu.compliance.engine import evaluate
from zhibu.core.periods import year
from zhibu.members.services import member_transfer
from zhibu.orglife import services
from zhibu.orglife.models import Attendance, Makeup

SH = ZoneInfo("Asia/Shanghai")
D = date
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=SH)  # 6 days left in November


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SH)


def hold(
    w,
    day: date,
    minutes: int = 180,
    *,
    category: str = "political_study",
    leave=None,
    before=None,
    ahead: int = 3,
):
    """A party day scheduled `ahead` days before, held for `minutes`, recorded and confirmed.

    `leave`: a member who asked for leave the day before and was approved. `before`: what
    happens between scheduling and the meeting (a transfer)."""
    begin = at(day)
    with time_machine.travel(begin - timedelta(days=ahead), tick=False):
        meeting = services.meeting_schedule(
            actor=w.secretary,
            org=w.branch,
            meeting_type="party_day",
            topic="学习党的创新理论",
            planned_start=begin,
            planned_end=begin + timedelta(minutes=max(minutes, 180)),
            content_category=category,
            agenda="一、集中学习；二、交流研讨",
        )
    if before is not None:
        before()
    if leave is not None:
        with time_machine.travel(begin - timedelta(days=1), tick=False):
            request = services.leave_request(actor=leave.user, meeting=meeting, reason="出差")
            services.leave_decide(actor=w.secretary, leave=request, approve=True)
    due = Attendance.objects.filter(meeting=meeting).values_list("member_id", flat=True)
    outcomes = {pk: "on_leave" if leave and pk == leave.pk else "present" for pk in due}
    with time_machine.travel(begin + timedelta(minutes=minutes, hours=1), tick=False):
        services.meeting_record(
            actor=w.secretary,
            meeting=meeting,
            actual_start=begin,
            actual_end=begin + timedelta(minutes=minutes),
            minutes="<p>学习并交流。</p>",
            outcomes=outcomes,
        )
        services.record_confirm(actor=w.secretary, meeting=meeting)
    return meeting


def transfer(member, branch) -> None:
    with time_machine.travel(at(D(2026, 9, 14), 17), tick=False):
        member_transfer(member=member, branch=branch, on=D(2026, 9, 15))


@pytest.fixture
def branch_year(world):
    w = world
    hold(w, D(2026, 1, 6), 360)  # January: two full days, ahead of the pace
    hold(w, D(2026, 1, 20), 360)
    # February: nothing — concentrated use, still on pace.
    march = hold(w, D(2026, 3, 3), leave=w.member)  # one half-day ...
    hold(w, D(2026, 3, 17), 50)  # ... and a "half-day" over in 50 minutes
    hold(w, D(2026, 4, 7))  # April: two half-days, but the year is still behind
    hold(w, D(2026, 4, 21))
    hold(w, D(2026, 5, 6), 360)  # May: three half-days catch up
    hold(w, D(2026, 5, 20))
    hold(w, D(2026, 6, 9))  # June: one half-day and one spent on business
    hold(w, D(2026, 6, 23), category="business")
    # July: an empty month.
    hold(w, D(2026, 8, 4), 360)  # August: five half-days catch up again
    hold(w, D(2026, 8, 11), 360)
    hold(w, D(2026, 8, 25))
    hold(w, D(2026, 9, 8))
    # 王党员 moves to the sibling branch on 15 September, after the 22nd was scheduled.
    hold(w, D(2026, 9, 22), ahead=21, before=lambda: transfer(w.other_member, w.sibling))
    hold(w, D(2026, 10, 8))
    hold(w, D(2026, 10, 22))
    # November: nothing held or scheduled yet, six days left.
    makeup = Makeup.objects.get(attendance__meeting=march, member=w.member)
    with time_machine.travel(at(D(2026, 4, 7), 20), tick=False):  # five days after its due date
        services.makeup_complete(
            actor=w.secretary,
            makeup=makeup,
            method="study",
            reflection="补学了当天的学习材料，并写下学习体会，联系本职工作谈了认识。",
        )
    return w


# month: (status, pattern, units, ytd_units, pace_units, needed_units, pace_gap_units)
EXPECTED = {
    1: ("met", "", 4, 4, 2, 0, 0),
    2: ("met", "", 0, 4, 4, 2, 0),  # concentrated use
    3: ("not_met", "perfunctory", 1, 5, 6, 1, 1),  # the 50-minute session earns nothing
    4: ("not_met", "time_squeezed", 2, 7, 8, 0, 1),  # the month is full, the year is not
    5: ("met", "", 3, 10, 10, 0, 0),
    6: ("not_met", "content_missing", 1, 11, 12, 1, 1),  # a session spent on business
    7: ("not_met", "time_squeezed", 0, 11, 14, 2, 3),  # an empty month
    8: ("met", "", 5, 16, 16, 0, 0),
    9: ("met", "", 2, 18, 18, 0, 0),
    10: ("met", "", 2, 20, 20, 0, 0),
    11: ("at_risk", "time_squeezed", 0, 20, 22, 2, 2),  # six days left, nothing arranged
}


@pytest.mark.django_db
def test_an_organ_branch_year_month_by_month(branch_year):
    w = branch_year
    results = evaluate(w.branch, year(2026), NOW)
    months = {
        r.period.first.month: r
        for r in results
        if r.rule.id == "organ_party_day_monthly" and r.period.kind == "month"
    }
    assert sorted(months) == list(range(1, 12))  # December has not started
    got = {
        month: (
            r.status,
            r.verdict.pattern,
            r.verdict.numbers["units"],
            r.verdict.numbers["ytd_units"],
            r.verdict.numbers["pace_units"],
            r.verdict.numbers["needed_units"],
            r.verdict.numbers["pace_gap_units"],
        )
        for month, r in months.items()
    }
    assert got == EXPECTED


def test_the_explanations_say_what_happened_and_what_to_do(branch_year):
    w = branch_year
    results = evaluate(w.branch, year(2026), NOW)
    text = {
        r.period.first.month: r.verdict.explanation
        for r in results
        if r.rule.id == "organ_party_day_monthly" and r.period.kind == "month"
    }
    assert text[2] == (
        "2026年2月：开展党日 0 个半天，要求 2 个半天；属相对集中使用，年度累计 4 个半天，"
        "按进度应达 4 个半天，仍符合进度"
    )
    assert "3月17日的主题党日只开了 50 分钟，不到 60 分钟，属走过场" in text[3]
    assert text[4] == (
        "2026年4月：本月已开展党日 2 个半天，达到每月要求，但年度累计 7 个半天，"
        "按进度应达 8 个半天，仍落后 1 个半天；须在2026年12月31日前补足 1 个半天"
    )
    assert "6月23日的主题党日用于非党的内容，不计入党日时间" in text[6]
    assert text[7] == (
        "2026年7月：开展党日 0 个半天，要求 2 个半天；年度累计 11 个半天，按进度应达 14 个半天，"
        "落后 3 个半天；须在2026年12月31日前补足 3 个半天"
    )
    assert text[11] == (
        "2026年11月：已开展党日 0 个半天，要求 2 个半天；还需安排 2 个半天；"
        "尚余 6 天，已安排 0 个半天"
    )


def test_the_late_makeup_is_not_met_in_the_month_it_was_due(branch_year):
    w = branch_year
    results = evaluate(w.branch, year(2026), NOW)
    mine = {
        r.period.key: r
        for r in results
        if r.rule.id == "organ_makeup" and r.member_id == w.member.pk
    }
    april = mine["2026-04"]  # due 2 April (30 days after 3 March), confirmed on 7 April
    assert (april.status, april.verdict.numbers["done_late"]) == ("not_met", 1)
    assert "逾期完成 1 项" in april.verdict.explanation
    leave = [
        r
        for r in results
        if r.rule.id == "organ_leave_approval"
        and r.member_id == w.member.pk
        and r.period.key == "2026-03"
    ]
    assert [r.status for r in leave] == ["met"]  # leave approved the day before excuses


def test_a_member_transferred_after_scheduling_leaves_no_trace_in_the_old_branch(branch_year):
    w = branch_year
    moved = w.other_member
    old = Attendance.objects.filter(meeting__org=w.branch, member=moved)
    assert not old.filter(meeting__planned_start__date__gte=D(2026, 9, 15)).exists()
    assert not Makeup.objects.filter(member=moved).exists()
    assert set(old.values_list("outcome", flat=True)) == {"present"}
    results = evaluate(w.branch, year(2026), NOW)
    theirs = {
        (r.rule.id, r.period.key): r.status
        for r in results
        if r.member_id == moved.pk and r.period.kind == "month"
    }
    # September is judged where they were on its last day; nothing of October on.
    assert not any(key >= "2026-09" for _rule, key in theirs)
    assert set(theirs.values()) <= {"met", "not_applicable"}
