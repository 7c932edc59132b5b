"""Reports members and branches owe: thought/work reports (data come from a reports app)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime

from zhibu.compliance.kinds.base import (
    Facts,
    exempt_gate,
    founding_gate,
    is_over,
    na,
    open_status,
    period_label,
    remaining_days,
    scheduled_in,
    verdict,
)
from zhibu.compliance.verdicts import Pattern, Status, Verdict
from zhibu.core.periods import Period
from zhibu.orgs.parameters import warning_days

KIND_NAMES = {"thought_report": "思想汇报", "work_report": "工作报告"}


def member_report(params: dict, facts: Facts, period: Period, now: datetime) -> Verdict:
    """At least `count` reports of `report_kind` per period, by a member or by the branch."""
    return member_report_periods(params, facts, (period,), now)[0]


def member_report_periods(
    params: dict, facts: Facts, periods: Sequence[Period], now: datetime
) -> list[Verdict]:
    """`member_report` for several periods of one subject (its reports picked out once)."""
    name = KIND_NAMES.get(params.get("report_kind", ""), "汇报")
    if facts.reports is None:
        return [_no_data_source(name)] * len(periods)
    exempt = exempt_gate(facts)
    member_id = facts.member.id if facts.member else None
    kind = params.get("report_kind")
    days = [
        r.day for r in facts.reports if r.member_id == member_id and (not kind or r.kind == kind)
    ]
    need = params.get("count", 1)
    out = []
    for period in periods:
        gate = founding_gate(facts, period) or exempt
        if gate:
            out.append(gate)
            continue
        first, last = period.first, period.last
        count = sum(1 for day in days if first <= day <= last)
        over = is_over(period, now)
        days_left = 0 if over else remaining_days(period, now)
        warn = warning_days(params, period.kind)
        # A report presented at a meeting (the work report at the general meeting) is as good
        # as arranged once that meeting is scheduled in the period.
        venues = params.get("presented_at")
        scheduled = len(scheduled_in(facts, period, now, venues)) if venues else 0
        out.append(
            _report_verdict(
                name, period_label(period), count, need, over, days_left, warn, scheduled
            )
        )
    return out


@functools.cache
def _no_data_source(name: str) -> Verdict:
    return na(f"尚未接入{name}数据（报告模块未启用），暂不评估", data_source=False)


@functools.lru_cache(maxsize=65536, typed=True)
def _report_verdict(
    name: str,
    label: str,
    count: int,
    need,
    over: bool,
    days_left: int,
    warn: int,
    scheduled: int = 0,
) -> Verdict:
    """The verdict from its numbers (shared; verdicts are read-only)."""
    numbers = {"reports": count, "required": need, "needed": max(need - count, 0)}
    text = f"{label}：已提交{name} {count} 次，要求至少 {need} 次"
    if count >= need:
        return verdict(Status.MET, text, **numbers)
    if over:
        return verdict(
            Status.NOT_MET, f"{text}，还差 {need - count} 次", Pattern.CONTENT_MISSING, **numbers
        )
    numbers.update(remaining_days=days_left, scheduled=scheduled)
    arranged = f"，已安排会议 {scheduled} 次" if scheduled else ""
    return verdict(
        open_status(count + scheduled < need, days_left, warn),
        f"{text}；还需提交 {need - count} 次，尚余 {days_left} 天{arranged}",
        Pattern.CONTENT_MISSING,
        **numbers,
    )
