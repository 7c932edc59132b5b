"""Party-day time, counted in half-day units (DOMAIN.md §0, organ rules).

A half-day counts only when its real duration reaches the configured length (default 3 h);
a full day counts two units when it lasts twice that; non-party content counts nothing.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from zhibu.compliance.kinds.base import (
    Facts,
    MeetingFact,
    active_months,
    all_,
    fmt_day,
    fmt_days,
    fmt_units,
    founding_gate,
    is_over,
    meetings_in,
    month_span,
    na,
    open_status,
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
from zhibu.orgs.parameters import value, warning_days


def half_day_minutes(params: dict) -> int:
    return int(value(params, "half_day_minutes"))


def half_day_hours(params: dict) -> str:
    """The half-day length in hours as a user reads it ("3", "3.5")."""
    return f"{half_day_minutes(params) / 60:g}"


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


def _uncounted(facts: Facts, period: Period, params: dict) -> list[tuple[str, str]]:
    """Held sessions of the period that earned no unit: (pattern, why it did not count)."""
    half = half_day_minutes(params)
    flag = int(value(params, "flag_minutes"))
    hours = half_day_hours(params)
    out = []
    for m in meetings_in(facts, period, _types(params)):
        if not m.held or meeting_units(m, params):
            continue
        what = f"{fmt_day(m.day)}的{type_names([m.meeting_type])}"
        minutes = m.duration_minutes
        if _party_only(params) and not m.party_content:
            out.append((Pattern.CONTENT_MISSING, f"{what}用于非党的内容，不计入党日时间"))
        elif minutes is None:
            out.append((Pattern.PERFUNCTORY, f"{what}未记录实际起止时间，无法计入"))
        elif minutes < flag:
            out.append(
                (Pattern.PERFUNCTORY, f"{what}只开了 {minutes} 分钟，不到 {flag} 分钟，属走过场")
            )
        elif minutes < half:
            out.append(
                (
                    Pattern.TIME_SQUEEZED,
                    f"{what}实际 {minutes} 分钟，不足半天（{hours} 小时），不计入",
                )
            )
    return out


def _short_pattern(uncounted: list[tuple[str, str]]) -> str:
    """Why a month fell short: a perfunctory or off-content session names the pattern."""
    found = {pattern for pattern, _why in uncounted}
    for pattern in (Pattern.PERFUNCTORY, Pattern.CONTENT_MISSING):
        if pattern in found:
            return pattern
    return Pattern.TIME_SQUEEZED


def _pace_to(facts: Facts, params: dict, last: date) -> tuple[int, int]:
    """(units held, units the pace asks) from 1 January of `last`'s year to `last`."""
    span = Period("ytd", date(last.year, 1, 1), last)
    pace = params.get("monthly_units", 2) * active_months(facts.founded_on, span)
    return _units(facts, span, params), pace


def _behind_before(facts: Facts, params: dict, month_first: date) -> bool:
    """The year-to-date total was already behind its pace when the month began."""
    if month_first.month == 1:
        return False
    held, pace = _pace_to(facts, params, month_first - timedelta(days=1))
    return held < pace


def paced_total(params: dict, facts: Facts, period: Period, now: datetime) -> Verdict:
    """A monthly target that may be concentrated while the year keeps pace, or a yearly floor.

    mode "pace" (a closed month): met when the year-to-date units reach the pace (monthly
    units × months elapsed), even if the month itself had fewer (concentrated use); not_met
    when the year is behind the pace, even if the month reached its units. mode "floor": the
    period total must reach the target by the deadline. An open period is `open` unless it
    is at risk (`open_status`).
    """
    gate = founding_gate(facts, period)
    if gate:
        return gate
    label = period_label(period)
    total = _units(facts, period, params)
    scheduled = _scheduled_units(facts, period, now, params)
    days_left = remaining_days(period, now)
    over = is_over(period, now)
    ytd_units, pace = _pace_to(facts, params, period.last)
    numbers = {
        "units": total,
        "ytd_units": ytd_units,
        "pace_units": pace,
        "scheduled_units": scheduled,
        "remaining_days": days_left,
        "half_day_minutes": half_day_minutes(params),
    }
    if params.get("mode", "pace") == "floor":
        return _floor(params, facts, period, now, label, numbers)

    target = params.get("monthly_units", 2) * active_months(facts.founded_on, period)
    needed = max(target - total, 0)
    gap = max(pace - ytd_units, 0)
    numbers.update(target_units=target, needed_units=needed, pace_gap_units=gap)
    uncounted = _uncounted(facts, period, params) if total < target else []
    why = "".join(f"；{text}" for _pattern, text in uncounted)
    held = f"{label}：开展党日 {fmt_units(total)}，要求 {fmt_units(target)}{why}"
    year = f"年度累计 {fmt_units(ytd_units)}，按进度应达 {fmt_units(pace)}"
    if ytd_units >= pace:
        if total >= target:
            return verdict(Status.MET, f"{held}；{year}，符合进度", **numbers)
        return verdict(Status.MET, f"{held}；属相对集中使用，{year}，仍符合进度", **numbers)
    pattern = _short_pattern(uncounted) if total < target else Pattern.TIME_SQUEEZED
    if over:
        deadline = f"须在{period.last.year}年12月31日前补足 {fmt_units(gap)}"
        if total >= target:
            text = (
                f"{label}：本月已开展党日 {fmt_units(total)}，达到每月要求，"
                f"但{year}，仍落后 {fmt_units(gap)}；{deadline}"
            )
        else:
            text = f"{held}；{year}，落后 {fmt_units(gap)}；{deadline}"
        return verdict(Status.NOT_MET, text, pattern, **numbers)
    behind = _behind_before(facts, params, period.first)
    warn = warning_days(params, period.kind)
    status = open_status(ytd_units + scheduled < pace, days_left, warn, behind)
    text = f"{label}：已开展党日 {fmt_units(total)}，要求 {fmt_units(target)}{why}"
    text += f"；还需安排 {fmt_units(needed)}"
    if gap > needed:
        text += f"，补足年度进度需 {fmt_units(gap)}"
    text += f"；尚余 {days_left} 天，已安排 {fmt_units(scheduled)}"
    return verdict(status, text, pattern, **numbers)


def _floor(
    params: dict, facts: Facts, period: Period, now: datetime, label: str, numbers: dict
) -> Verdict:
    """The yearly floor: the period total reaches the target by the deadline."""
    total, scheduled, days_left = (
        numbers["units"],
        numbers["scheduled_units"],
        numbers["remaining_days"],
    )
    target = prorated(params.get("yearly_units", 24), facts, period)
    needed = max(target - total, 0)
    numbers.update(target_units=target, needed_units=needed)
    text = (
        f"{label}：党日累计 {fmt_units(total)}（{fmt_days(total)}），"
        f"要求不少于 {fmt_units(target)}（{fmt_days(target)}）"
    )
    if total >= target:
        return verdict(Status.MET, text, **numbers)
    if is_over(period, now):
        return verdict(
            Status.NOT_MET,
            f"{text}，还差 {fmt_units(needed)}，期限已过",
            Pattern.TIME_SQUEEZED,
            **numbers,
        )
    if needed > scheduled + 2 * days_left:
        return verdict(
            Status.NOT_MET,
            f"{text}；还差 {fmt_units(needed)}，仅剩 {days_left} 天，已无法补足",
            Pattern.TIME_SQUEEZED,
            **numbers,
        )
    this_month = date(today(now).year, today(now).month, 1)
    behind = this_month.year == period.first.year and _behind_before(facts, params, this_month)
    held_before, pace_before = (
        _pace_to(facts, params, this_month - timedelta(days=1))
        if this_month.month > 1 and this_month.year == period.first.year
        else (0, 0)
    )
    numbers.update(pace_units=pace_before)
    warn = warning_days(params, period.kind)
    status = open_status(total + scheduled < target, days_left, warn, behind)
    progress = f"；至上月底按进度应达 {fmt_units(pace_before)}" if pace_before else ""
    if behind:
        progress += f"，落后 {fmt_units(pace_before - held_before)}"
    return verdict(
        status,
        f"{text}{progress}；还需 {fmt_units(needed)}，已安排 {fmt_units(scheduled)}，"
        f"尚余 {days_left} 天",
        Pattern.TIME_SQUEEZED,
        **numbers,
    )


def min_duration(params: dict, facts: Facts, period: Period, now: datetime) -> Verdict:
    """Each session lasts as long as it was scheduled for (half a day = the configured hours).

    A session under `flag_minutes` (default 60) is flagged perfunctory (走过场).
    """
    types = _types(params)
    half = half_day_minutes(params)
    flag = int(value(params, "flag_minutes"))
    held = [m for m in meetings_in(facts, period, types) if m.held]
    label = period_label(period)
    if not held:
        return na(f"{label}：没有{type_names(types)}记录", meetings=0)
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
        "half_day_minutes": half,
        "flag_minutes": flag,
        "min_minutes": min((m.duration_minutes for m in held if m.duration_minutes), default=None),
    }

    def named(meetings: list[MeetingFact]) -> str:
        return "、".join(f"{fmt_day(m.day)}（{m.duration_minutes} 分钟）" for m in meetings)

    if perfunctory:
        return verdict(
            Status.NOT_MET,
            f"{label}：{len(held)} 次{type_names(types)}中 {len(perfunctory)} 次不到 "
            f"{flag} 分钟就结束，属走过场：{named(perfunctory)}；安排半天的须实际用满半天",
            Pattern.PERFUNCTORY,
            **numbers,
        )
    if short:
        hours = half_day_hours(params)
        return verdict(
            Status.NOT_MET,
            f"{label}：{len(held)} 次{type_names(types)}中 {len(short)} 次实际时长不足安排的时长"
            f"（半天按 {hours} 小时计）：{named(short)}，不计入党日时间",
            Pattern.TIME_SQUEEZED,
            **numbers,
        )
    if no_times:
        confirmed = any(m.status == "confirmed" for m in no_times)
        days = "、".join(fmt_day(m.day) for m in no_times)
        return verdict(
            Status.NOT_MET if confirmed else Status.AT_RISK,
            f"{label}：{len(no_times)} 次{type_names(types)}未记录实际起止时间（{days}），"
            f"无法核实时长{'' if confirmed else '；请在确认记录前补填起止时间'}",
            Pattern.PERFUNCTORY,
            **numbers,
        )
    return verdict(
        Status.MET,
        f"{label}：{len(held)} 次{type_names(types)}实际时长{all_(len(held))}达到安排时长",
        **numbers,
    )
