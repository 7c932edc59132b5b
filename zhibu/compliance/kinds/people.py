"""Kinds about people: attendance, leave, make-up, dual organizational life, silence."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from zhibu.compliance.kinds.base import (
    AttendanceFact,
    Facts,
    MakeupFact,
    all_,
    count_after,
    exempt_gate,
    fmt_date,
    held_attendances_in,
    is_over,
    last_on_or_before,
    meetings_in,
    month_span,
    na,
    open_status,
    period_label,
    reference_day,
    remaining_days,
    today,
    verdict,
)
from zhibu.compliance.verdicts import Pattern, Status, Verdict
from zhibu.core.periods import Period
from zhibu.orgs.parameters import value, warning_days


def _rows(facts: Facts, period: Period, types=None) -> list[AttendanceFact]:
    """Due attendances at held meetings in the period (of `types`): the branch's, or for a
    member's facts the member's own (Facts.attendances holds only theirs)."""
    rows = held_attendances_in(facts, period)
    if not types:
        return rows
    wanted = set(types)
    return [a for a in rows if a.meeting.meeting_type in wanted]


def _member_counts(facts: Facts, period: Period, types) -> tuple[int, int, int, int]:
    """A member's (due, attended, excused, unexcused) at held meetings in the period (of
    `types`): summed from per-month counts derived once per member and types, unless the
    period cuts a month (a year-to-date view), which counts its rows."""
    spans = month_span(period.first, period.last)
    if not all(whole for _key, whole in spans):
        return _tally(_rows(facts, period, types))
    key = ("month_counts", tuple(types) if types else None)
    by_month = facts.memo.get(key)
    if by_month is None:
        by_month = facts.memo[key] = _month_counts(facts, types)
    if len(spans) == 1:
        return by_month.get(spans[0][0], _NONE)
    due = attended = excused = unexcused = 0
    for month, _whole in spans:
        c = by_month.get(month)
        if c is not None:
            due += c[0]
            attended += c[1]
            excused += c[2]
            unexcused += c[3]
    return due, attended, excused, unexcused


_NONE = (0, 0, 0, 0)


def _month_counts(facts: Facts, types) -> dict[tuple[int, int], tuple[int, int, int, int]]:
    wanted = set(types) if types else None
    by_month: dict[tuple[int, int], list[AttendanceFact]] = {}
    for a in facts.attendances:
        m = a.meeting
        if m.held and (wanted is None or m.meeting_type in wanted):
            by_month.setdefault(m.month_key, []).append(a)
    return {month: _tally(rows) for month, rows in by_month.items()}


def _tally(rows: list[AttendanceFact]) -> tuple[int, int, int, int]:
    attended = excused = unexcused = 0
    for a in rows:
        attended += a.attended
        excused += a.missed and a.excused
        unexcused += a.unexcused
    return len(rows), attended, excused, unexcused


def _exempt_ids(facts: Facts) -> set[int]:
    memo = facts.memo
    ids = memo.get("exempt_ids")
    if ids is None:
        ids = memo["exempt_ids"] = {m.id for m in facts.members if m.is_exempt}
    return ids


def attendance(params: dict, facts: Facts, period: Period, now: datetime) -> Verdict:
    """Absence without leave approved before the start; for a branch, an optional rate floor."""
    return attendance_periods(params, facts, (period,), now)[0]


def attendance_periods(
    params: dict, facts: Facts, periods: Sequence[Period], now: datetime
) -> list[Verdict]:
    """`attendance` for several periods of one subject (a member's gate and limits once)."""
    if facts.member is None:
        return [_branch_attendance(params, facts, period, now) for period in periods]
    gate = exempt_gate(facts)
    if gate:
        return [gate] * len(periods)
    types = params.get("types")
    allowed = params.get("max_unexcused", 0)
    return [
        _member_attendance_verdict(
            period_label(period), *_member_counts(facts, period, types), allowed
        )
        for period in periods
    ]


def _branch_attendance(params: dict, facts: Facts, period: Period, now: datetime) -> Verdict:
    label = period_label(period)
    types = params.get("types")
    exempt = _exempt_ids(facts)
    rows = [a for a in _rows(facts, period, types) if a.member_id not in exempt and a.outcome]
    if not rows:
        return na(f"{label}：没有已登记的出勤记录", due=0)
    attended = sum(a.attended for a in rows)
    excused = sum(a.missed and a.excused for a in rows)
    unexcused = sum(a.unexcused for a in rows)
    base = len(rows) - excused
    rate = attended / base if base else 1.0
    numbers = {
        "due": len(rows),
        "attended": attended,
        "excused": excused,
        "unexcused": unexcused,
        "rate": round(rate, 4),
    }
    text = (
        f"{label}：应到 {len(rows)} 人次，实到 {attended} 人次，请假 {excused} 人次，"
        f"无故缺席 {unexcused} 人次，出勤率 {rate:.0%}"
    )
    min_rate = params.get("min_rate")
    max_unexcused = params.get("max_unexcused")
    failed = (min_rate is not None and rate < min_rate) or (
        max_unexcused is not None and unexcused > max_unexcused
    )
    if not failed:
        return verdict(Status.MET, text, **numbers)
    if min_rate is not None:
        text += f"（要求不低于 {min_rate:.0%}）"
    status = Status.NOT_MET if is_over(period, now) else Status.AT_RISK
    return verdict(status, text, Pattern.PEOPLE_MISSING, **numbers)


@functools.lru_cache(maxsize=65536, typed=True)
def _member_attendance_verdict(
    label: str, due: int, attended: int, excused: int, unexcused: int, allowed: int
) -> Verdict:
    """A member's attendance verdict from its counts (shared by every member with the same
    counts in the period: verdicts are read-only values)."""
    if not due:
        return na(f"{label}：没有应参加的组织生活", due=0)
    numbers = {"due": due, "attended": attended, "excused": excused, "unexcused": unexcused}
    text = (
        f"{label}：应参加组织生活 {due} 次，出席 {attended} 次，"
        f"请假 {excused} 次，未经会前批准缺席 {unexcused} 次"
    )
    if unexcused > allowed:
        return verdict(Status.NOT_MET, text, Pattern.PEOPLE_MISSING, **numbers)
    return verdict(Status.MET, text, **numbers)


def attendance_register(params: dict, facts: Facts, period: Period, now: datetime) -> Verdict:
    """Every due attendee of every held session has an outcome registered."""
    from zhibu.orglife.meeting_types import MEETING_TYPES

    label = period_label(period)
    types = params.get("types")
    held = [
        m
        for m in meetings_in(facts, period, types)
        if m.held
        and (
            m.meeting_type not in MEETING_TYPES or MEETING_TYPES[m.meeting_type].register_attendance
        )
    ]
    if not held:
        return na(f"{label}：没有需登记考勤的会议", meetings=0)
    exempt = _exempt_ids(facts)
    by_meeting: dict[int, list[AttendanceFact]] = {m.id: [] for m in held}
    for a in held_attendances_in(facts, period):
        if a.meeting.id in by_meeting:
            by_meeting[a.meeting.id].append(a)
    unregistered_meetings = [m for m in held if not by_meeting[m.id]]
    blanks = {
        m.id: sum(1 for a in by_meeting[m.id] if not a.outcome and a.member_id not in exempt)
        for m in held
    }
    gaps = [m for m in held if blanks[m.id] or not by_meeting[m.id]]
    numbers = {
        "meetings": len(held),
        "meetings_incomplete": len(gaps),
        "no_register": len(unregistered_meetings),
        "blank_outcomes": sum(blanks.values()),
    }
    if not gaps:
        return verdict(
            Status.MET, f"{label}：{len(held)} 次会议{all_(len(held))}已登记考勤", **numbers
        )
    text = f"{label}：{len(held)} 次会议中 {len(gaps)} 次考勤登记不全"
    if numbers["blank_outcomes"]:
        text += f"（{numbers['blank_outcomes']} 人次未登记出勤情况）"
    if any(m.status == "confirmed" for m in gaps):
        return verdict(Status.NOT_MET, text, Pattern.PEOPLE_MISSING, **numbers)
    return verdict(
        Status.AT_RISK, text + "；记录尚未确认，可补登", Pattern.PEOPLE_MISSING, **numbers
    )


def _makeup_items(params: dict, facts: Facts) -> list[MakeupFact]:
    """The member's make-up obligations; an absence without a make-up row gets the default.

    Derived once per subject and default length (every monthly period reuses it)."""
    key = ("makeup_items", facts.member.id, value(params, "makeup_days"))
    items = facts.memo.get(key)
    if items is None:
        items = facts.memo[key] = _derive_makeup_items(params, facts)
    return items


def _derive_makeup_items(params: dict, facts: Facts) -> list[MakeupFact]:
    member_id = facts.member.id
    items = [mk for mk in facts.makeups if mk.member_id == member_id]
    known = {mk.meeting_id for mk in items}
    days = int(value(params, "makeup_days"))
    for a in facts.attendances:
        if a.member_id == member_id and a.meeting.held and a.missed and a.meeting.id not in known:
            items.append(MakeupFact(member_id, a.meeting.id, a.meeting.day + timedelta(days=days)))
    return items


def makeup_done(params: dict, facts: Facts, period: Period, now: datetime) -> Verdict:
    """Every absence (with or without leave) made up by its deadline (`makeup_days`)."""
    return makeup_done_periods(params, facts, (period,), now)[0]


def makeup_done_periods(
    params: dict, facts: Facts, periods: Sequence[Period], now: datetime
) -> list[Verdict]:
    """`makeup_done` for several periods of one member (their items derived once)."""
    if facts.member is None:
        return [_per_member_makeups()] * len(periods)
    gate = exempt_gate(facts)
    if gate:
        return [gate] * len(periods)
    every = _makeup_items(params, facts)
    t = today(now)
    warn = warning_days(params, "month")
    out = []
    for period in periods:
        label = period_label(period)
        first, last = period.first, period.last
        items = [mk for mk in every if first <= mk.due_date <= last]
        if not items:
            out.append(_no_makeups(label))
            continue
        on_time = late_done = overdue = pending = 0
        nearest = None
        for mk in items:
            if mk.done:
                if mk.confirmed_day <= mk.due_date:
                    on_time += 1
                else:
                    late_done += 1
            elif t > mk.due_date:
                overdue += 1
            else:
                pending += 1
                if nearest is None or mk.due_date < nearest:
                    nearest = mk.due_date
        soon = nearest is not None and (nearest - t).days < warn
        out.append(
            _makeup_verdict(label, len(items), on_time, late_done, overdue, pending, nearest, soon)
        )
    return out


@functools.cache
def _per_member_makeups() -> Verdict:
    return na("补课按党员逐人评估")


@functools.lru_cache(maxsize=4096, typed=True)
def _no_makeups(label: str) -> Verdict:
    return na(f"{label}：没有到期的补课任务", items=0)


@functools.lru_cache(maxsize=65536, typed=True)
def _makeup_verdict(
    label: str,
    items: int,
    on_time: int,
    late_done: int,
    overdue: int,
    pending: int,
    nearest: date | None,
    soon: bool,
) -> Verdict:
    """A member's make-up verdict from its counts (shared; verdicts are read-only).

    Pending make-ups are `open` until the nearest deadline comes within the warning window."""
    numbers = {
        "items": items,
        "done": on_time,
        "done_late": late_done,
        "overdue": overdue,
        "pending": pending,
    }
    text = f"{label}：到期补课 {items} 项：按期完成 {on_time} 项"
    if late_done:
        text += f"，逾期完成 {late_done} 项"
    if overdue:
        text += f"，逾期未完成 {overdue} 项"
    if pending:
        text += f"，待完成 {pending} 项（最近期限 {fmt_date(nearest)}）"
    if overdue:
        text += f"；逾期的 {overdue} 项仍须补课，由支部确认"
    if overdue or late_done:
        return verdict(Status.NOT_MET, text, Pattern.PEOPLE_MISSING, **numbers)
    if pending:
        text += f"；还需在{fmt_date(nearest)}前完成补课"
        status = Status.AT_RISK if soon else Status.OPEN
        return verdict(status, text, Pattern.PEOPLE_MISSING, **numbers)
    return verdict(Status.MET, text, **numbers)


def dual_life(params: dict, facts: Facts, period: Period, now: datetime) -> Verdict:
    """Leading cadres attend their branch's organizational life as ordinary members."""
    label = period_label(period)
    if facts.member is None:
        return na("双重组织生活按领导干部逐人评估")
    if not facts.member.is_leading_cadre:
        return _not_a_leading_cadre()
    over = is_over(period, now)
    return _dual_life_verdict(
        label,
        *_member_counts(facts, period, params.get("types")),
        params.get("min_attended", 1),
        params.get("max_unexcused", 0),
        over,
        0 if over else remaining_days(period, now),
        warning_days(params, period.kind),
    )


@functools.cache
def _not_a_leading_cadre() -> Verdict:
    """One shared verdict for every ordinary member (verdicts are read-only)."""
    return na("不是处级以上党员领导干部", leading_cadre=False)


@functools.lru_cache(maxsize=65536, typed=True)
def _dual_life_verdict(
    label: str,
    due: int,
    attended: int,
    excused: int,
    unexcused: int,
    need,
    max_unexcused,
    over: bool,
    days_left: int,
    warn: int,
) -> Verdict:
    """A leading cadre's verdict from its counts (shared; verdicts are read-only)."""
    numbers = {
        "due": due,
        "attended": attended,
        "excused": excused,
        "unexcused": unexcused,
        "min_attended": need,
    }
    text = (
        f"{label}：领导干部以普通党员身份参加支部组织生活 {attended} 次"
        f"（应参加 {due} 次，请假 {excused} 次，无故缺席 {unexcused} 次）"
    )
    if unexcused > max_unexcused:
        return verdict(Status.NOT_MET, text, Pattern.PEOPLE_MISSING, **numbers)
    if attended >= need or (due and attended + excused == due and excused):
        # All due sessions attended or excused in advance is met even below the minimum.
        return verdict(Status.MET, text, **numbers)
    numbers["needed"] = need - attended
    if over:
        return verdict(
            Status.NOT_MET,
            f"{text}，要求至少 {need} 次，还差 {need - attended} 次",
            Pattern.PEOPLE_MISSING,
            **numbers,
        )
    numbers["remaining_days"] = days_left
    return verdict(
        open_status(True, days_left, warn),
        f"{text}，要求至少 {need} 次；还需参加 {need - attended} 次，尚余 {days_left} 天",
        Pattern.PEOPLE_MISSING,
        **numbers,
    )


def _member_days(facts: Facts) -> tuple[date | None, list[date], list[date]]:
    """The member's first tenure start, the sorted days they took part (attended, excused in
    advance, or made up) and the sorted days of their unexcused absences, at held meetings;
    derived once per subject."""
    key = ("member_days", facts.member.id)
    found = facts.memo.get(key)
    if found is None:
        member_id = facts.member.id
        mine = [a for a in facts.attendances if a.member_id == member_id and a.meeting.held]
        took_part: list[date] = [
            a.meeting.day for a in mine if (a.attended or (a.missed and a.excused))
        ]
        took_part += [
            mk.confirmed_day for mk in facts.makeups if mk.member_id == member_id and mk.done
        ]
        unexcused = [a.meeting.day for a in mine if a.unexcused]
        starts = [t.start for t in facts.member.tenures]
        first_start = min(starts) if starts else None
        found = facts.memo[key] = (first_start, sorted(took_part), sorted(unexcused))
    return found


def silence(params: dict, facts: Facts, period: Period, now: datetime) -> Verdict:
    """No organizational life for more than `days` days (a branch, or a member)."""
    return silence_periods(params, facts, (period,), now)[0]


def silence_periods(
    params: dict, facts: Facts, periods: Sequence[Period], now: datetime
) -> list[Verdict]:
    """`silence` for several periods of one subject, deriving what they share once."""
    limit = params["days"]
    warn = params.get("warn_days")
    member = facts.member is not None
    if member:
        gate = exempt_gate(facts)
        start, days, unexcused_days = _member_days(facts)
    else:
        gate = None
        start = facts.founded_on
        days = facts.memo.get("held_days")
        if days is None:
            days = facts.memo["held_days"] = sorted(m.day for m in facts.meetings if m.held)
    out = []
    for period in periods:
        ref = reference_day(period, now)
        if ref < period.first:
            out.append(_not_started())
            continue
        if gate:
            out.append(gate)
            continue
        baseline = facts.window_first or period.first
        if start is not None and start > baseline:
            baseline = start
        last = last_on_or_before(days, ref)
        since = (ref - (last or baseline)).days
        missed_since = count_after(unexcused_days, last) if member else None
        out.append(_silence_verdict(member, since, limit, warn, last, missed_since))
    return out


@functools.cache
def _not_started() -> Verdict:
    return na("期间尚未开始")


@functools.lru_cache(maxsize=65536, typed=True)
def _silence_verdict(
    member: bool, since: int, limit, warn, last: date | None, missed_since: int | None
) -> Verdict:
    """The silence verdict from its numbers (shared; verdicts are read-only)."""
    numbers = {"days_since": since, "limit_days": limit, "last": last and last.isoformat()}
    if member:
        numbers["unexcused_since"] = missed_since
    who = "本人" if member else "支部"
    at_least = "" if last else "至少"
    text = f"{who}距上次参加组织生活{at_least} {since} 天（上限 {limit} 天）"
    if since > limit:
        if missed_since == 0:
            # The member missed nothing: the branch held no organizational life for them.
            return verdict(
                Status.AT_RISK,
                text + "；期间支部未组织应参加的活动",
                Pattern.TIME_SQUEEZED,
                **numbers,
            )
        pattern = Pattern.PEOPLE_MISSING if member else Pattern.TIME_SQUEEZED
        return verdict(Status.NOT_MET, text, pattern, **numbers)
    if warn is not None and since > warn:
        pattern = Pattern.PEOPLE_MISSING if member else Pattern.TIME_SQUEEZED
        return verdict(Status.AT_RISK, text, pattern, **numbers)
    return verdict(Status.MET, text, **numbers)
