"""Party-day time, counted in half-day units (DOMAIN.md §0, organ rules).

A half-day counts only when its real duration reaches the configured length (default 3 h);
a full day counts two units when it lasts twice that; non-party content counts nothing.
"""

from __future__ import annotations

from datetime import date, datetime

from zhibu.compliance.kinds.base import (
    Facts,
    MeetingFact,
    active_months,
    fmt_days,
    founding_gate,
    is_over,
    meetings_in,
    month_span,
    na,
    period_label,
    prorated,
    remaining_days,
    scheduled_in,
    today,
    type_names,
    verdict,
)
from zhibu.compliance.verdicts import Pattern, Status, Verdict
from zhibu.core.periods import Period


def half_day_minutes(params: dict) -> int:
    return round(float(params.get("half_day_hours", 3)) * 60)


def units_for_minutes(minutes: int | None, half: int) -> int:
    if minutes is None:
        return 0
    if minutes >= 2 * half:
        return 2
    if minutes >= half:
        return 1
    return 0


def meeting_units(m: MeetingFact, params: dict) -> int:
    """Half-day units a held meeting earns: by real duration, party content only."""
    if not m.held:
        return 0
    if _party_only(params) and not m.party_content:
        return 0
    return units_for_minutes(m.duration_minutes, half_day_minutes(params))


def planned_units(m: MeetingFact, params: dict) -> int:
    """Units a planned meeting would earn if held as scheduled (feasibility only)."""
    if _party_only(params) and not m.party_content:
        return 0
    return units_for_minutes(m.planned_minutes, half_day_minutes(params))


def _types(params: dict) -> list[str]:
    return params.get("types", ["party_day"])


def _units(facts: Facts, period: Period, params: dict) -> int:
    """Units earned in the period: summed from per-month totals derived once per subject and
    parameters (every month's year-to-date pace re-reads the months before it), unless the
    period cuts a month (year-to-date until today), which counts its meetings."""
    spans = month_span(period.first, period.last)
    if not all(whole for _month, whole in spans):
        return sum(meeting_units(m, params) for m in meetings_in(facts, period, _types(params)))
    types = _types(params)
    key = ("units_by_month", tuple(types), half_day_minutes(params), _party_only(params))
    by_month = facts.memo.get(key)
    if by_month is None:
        by_month = facts.memo[key] = {}
        wanted = set(types)
        for m in facts.meetings:
            if m.meeting_type in wanted:
                by_month[m.month_key] = by_month.get(m.month_key, 0) + meeting_units(m, params)
    return sum(by_month.get(month, 0) for month, _whole in spans)


def _party_only(params: dict) -> bool:
    return params.get("party_content_only", True)


def _scheduled_units(facts: Facts, period: Period, now: datetime, params: dict) -> int:
    return sum(planned_units(m, params) for m in scheduled_in(facts, period, now, _types(params)))


def paced_total(params: dict, facts: Facts, period: Period, now: datetime) -> Verdict:
    """A monthly target that may be concentrated while the year keeps pace, or a yearly floor.

    mode "pace": short month → at_risk while the year-to-date total keeps pace, not_met when
    it falls behind. mode "floor": the period total must reach the target by the deadline.
    """
    gate = founding_gate(facts, period)
    if gate:
        return gate
    monthly = params.get("monthly_units", 2)
    label = period_label(period)
    total = _units(facts, period, params)
    scheduled = _scheduled_units(facts, period, now, params)
    days_left = remaining_days(period, now)
    over = is_over(period, now)
    year_start = date(period.first.year, 1, 1)
    # Year-to-date pace, measured to the end of the evaluated period (or today if earlier).
    pace_last = min(period.last, today(now)) if not over else period.last
    ytd = Period("ytd", year_start, pace_last)
    ytd_units = _units(facts, ytd, params)
    pace = monthly * active_months(facts.founded_on, ytd)
    numbers = {
        "units": total,
        "ytd_units": ytd_units,
        "pace_units": pace,
        "scheduled_units": scheduled,
        "remaining_days": days_left,
        "half_day_hours": params.get("half_day_hours", 3),
    }

    if params.get("mode", "pace") == "floor":
        target = prorated(params.get("yearly_units", 24), facts, period)
        numbers["target_units"] = target
        text = f"{label}党日累计 {fmt_days(total)}，要求不少于 {fmt_days(target)}"
        if total >= target:
            return verdict(Status.MET, text, **numbers)
        if over:
            return verdict(Status.NOT_MET, text + "，期限已过", Pattern.TIME_SQUEEZED, **numbers)
        needed = target - total
        if needed > scheduled + 2 * days_left:
            return verdict(
                Status.NOT_MET,
                f"{text}；仅剩 {days_left} 天，已无法补足",
                Pattern.TIME_SQUEEZED,
                **numbers,
            )
        behind = ytd_units < pace
        return verdict(
            Status.AT_RISK,
            f"{text}；按进度应达 {fmt_days(pace)}"
            f"{'（落后于进度）' if behind else ''}；已安排 {fmt_days(scheduled)}，"
            f"尚余 {days_left} 天",
            Pattern.TIME_SQUEEZED,
            **numbers,
        )

    target = monthly * active_months(facts.founded_on, period)
    numbers["target_units"] = target
    text = (
        f"{label}党日 {fmt_days(total)}，要求 {fmt_days(target)}；"
        f"年度累计 {fmt_days(ytd_units)}，按进度应达 {fmt_days(pace)}"
    )
    if total >= target:
        return verdict(Status.MET, text, **numbers)
    if not over:
        return verdict(
            Status.AT_RISK,
            f"{text}；已安排 {fmt_days(scheduled)}，尚余 {days_left} 天",
            Pattern.TIME_SQUEEZED,
            **numbers,
        )
    if ytd_units >= pace:
        return verdict(
            Status.AT_RISK,
            f"{text}；相对集中使用，年度累计仍符合进度",
            Pattern.TIME_SQUEEZED,
            **numbers,
        )
    return verdict(Status.NOT_MET, f"{text}；已落后于进度", Pattern.TIME_SQUEEZED, **numbers)


def min_duration(params: dict, facts: Facts, period: Period, now: datetime) -> Verdict:
    """Each session lasts as long as it was scheduled for (half a day = the configured hours).

    A session under `flag_minutes` (default 60) is flagged perfunctory (走过场).
    """
    types = _types(params)
    half = half_day_minutes(params)
    flag = params.get("flag_minutes", 60)
    held = [m for m in meetings_in(facts, period, types) if m.held]
    label = period_label(period)
    if not held:
        return na(f"{label}没有{type_names(types)}记录", meetings=0)
    no_times, short, perfunctory = [], [], []
    for m in held:
        minutes = m.duration_minutes
        if minutes is None:
            no_times.append(m)
            continue
        required = half * (2 if m.planned_minutes >= 2 * half else 1)
        if minutes < flag:
            perfunctory.append(m)
        elif minutes < required:
            short.append(m)
    numbers = {
        "meetings": len(held),
        "perfunctory": len(perfunctory),
        "short": len(short),
        "no_times": len(no_times),
        "half_day_hours": params.get("half_day_hours", 3),
        "flag_minutes": flag,
        "min_minutes": min((m.duration_minutes for m in held if m.duration_minutes), default=None),
    }
    if perfunctory:
        return verdict(
            Status.NOT_MET,
            f"{label}{len(held)} 次{type_names(types)}中 {len(perfunctory)} 次不足 "
            f"{flag} 分钟（安排半天、不到一小时就结束，属走过场）",
            Pattern.PERFUNCTORY,
            **numbers,
        )
    if short:
        hours = params.get("half_day_hours", 3)
        return verdict(
            Status.NOT_MET,
            f"{label}{len(held)} 次{type_names(types)}中 {len(short)} 次实际时长不足安排的时长"
            f"（半天按 {hours} 小时计），不计入党日时间",
            Pattern.TIME_SQUEEZED,
            **numbers,
        )
    if no_times:
        status = (
            Status.NOT_MET if any(m.status == "confirmed" for m in no_times) else Status.AT_RISK
        )
        return verdict(
            status,
            f"{label}{len(no_times)} 次{type_names(types)}未记录实际起止时间，无法核实时长",
            Pattern.PERFUNCTORY,
            **numbers,
        )
    return verdict(
        Status.MET, f"{label}{len(held)} 次{type_names(types)}实际时长均达到安排时长", **numbers
    )
