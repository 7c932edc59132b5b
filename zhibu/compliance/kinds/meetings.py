"""Kinds about whether meetings happen and are done properly."""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta

from zhibu.compliance.kinds.base import (
    Facts,
    all_,
    fmt_day,
    founding_gate,
    is_over,
    meetings_in,
    na,
    open_status,
    period_label,
    prorated,
    remaining_days,
    scheduled_in,
    type_names,
    type_phrase,
    verdict,
)
from zhibu.compliance.verdicts import Pattern, Status, Verdict
from zhibu.core.periods import Period
from zhibu.orgs.parameters import value, warning_days


def _committee_gate(params: dict, facts: Facts) -> Verdict | None:
    needed = params.get("min_full_members")
    if needed and facts.full_member_count < needed:
        return na(
            f"正式党员 {facts.full_member_count} 人，不足 {needed} 人，不设支委会，不作要求",
            full_members=facts.full_member_count,
        )
    return None


def min_count(params: dict, facts: Facts, period: Period, now: datetime) -> Verdict:
    """At least `count` held meetings of `types` in the period (per party group if asked)."""
    gate = founding_gate(facts, period) or _committee_gate(params, facts)
    if gate:
        return gate
    types = params["types"]
    required = prorated(params.get("count", 1), facts, period)
    pattern = params.get("pattern", Pattern.CONTENT_MISSING)
    label, phrase = period_label(period), type_phrase(types)
    over = is_over(period, now)
    days = 0 if over else remaining_days(period, now)
    warn = warning_days(params, period.kind)

    def counts(m) -> bool:
        if not m.held:
            return False
        if params.get("party_content_only") and not m.party_content:
            return False
        minutes = params.get("min_minutes")
        return not minutes or (m.duration_minutes or 0) >= minutes

    if params.get("per_party_group"):
        if not facts.party_group_ids:
            return na("本支部未设党小组", groups=0)
        held_by_group = dict.fromkeys(facts.party_group_ids, 0)
        for m in meetings_in(facts, period, types):
            if counts(m) and m.org_id in held_by_group:
                held_by_group[m.org_id] += 1
        planned_by_group = dict.fromkeys(facts.party_group_ids, 0)
        for m in scheduled_in(facts, period, now, types):
            if m.org_id in planned_by_group:
                planned_by_group[m.org_id] += 1
        short = sorted(g for g, n in held_by_group.items() if n < required)
        numbers = {
            "groups": len(held_by_group),
            "groups_short": len(short),
            "required": required,
            "short_group_ids": short,
            "remaining_days": days,
        }
        if not short:
            return verdict(
                Status.MET,
                f"{label}：{len(held_by_group)} 个党小组均已{phrase}（每组至少 {required} 次）",
                **numbers,
            )
        text = (
            f"{label}：{len(held_by_group)} 个党小组中有 {len(short)} 个{phrase}不足 {required} 次"
        )
        if over:
            return verdict(
                Status.NOT_MET, f"{text}，期限（{fmt_day(period.last)}）已过", pattern, **numbers
            )
        uncovered = [g for g in short if held_by_group[g] + planned_by_group[g] < required]
        status = open_status(bool(uncovered), days, warn)
        return verdict(
            status,
            f"{text}；还需{phrase}的党小组 {len(short)} 个（其中 {len(uncovered)} 个尚未安排），"
            f"尚余 {days} 天",
            pattern,
            **numbers,
        )

    held = sum(1 for m in meetings_in(facts, period, types) if counts(m))
    scheduled = len(scheduled_in(facts, period, now, types))
    return _count_verdict(
        label, phrase, held, required, scheduled, over, days, warn, pattern, period.last
    )


@functools.lru_cache(maxsize=65536, typed=True)
def _count_verdict(
    label: str,
    phrase: str,
    held: int,
    required: int,
    scheduled: int,
    over: bool,
    days: int,
    warn: int,
    pattern,
    last: date,
) -> Verdict:
    """The count verdict from its numbers (shared by every branch with the same numbers:
    verdicts are read-only)."""
    needed = max(required - held, 0)
    numbers = {"held": held, "required": required, "scheduled": scheduled, "needed": needed}
    if held >= required:
        return verdict(
            Status.MET, f"{label}：已{phrase} {held} 次，要求至少 {required} 次", **numbers
        )
    if over:
        return verdict(
            Status.NOT_MET,
            f"{label}：{phrase} {held} 次，要求至少 {required} 次，还差 {needed} 次，"
            f"期限（{fmt_day(last)}）已过",
            pattern,
            **numbers,
        )
    numbers["remaining_days"] = days
    return verdict(
        open_status(held + scheduled < required, days, warn),
        f"{label}：已{phrase} {held} 次，要求至少 {required} 次；还需{phrase} {needed} 次，"
        f"尚余 {days} 天（{fmt_day(last)}前），已安排 {scheduled} 次",
        pattern,
        **numbers,
    )


def types_held(params: dict, facts: Facts, period: Period, now: datetime) -> Verdict:
    """Every required meeting type held at least once in the period (no system neglected)."""
    gate = founding_gate(facts, period)
    if gate:
        return gate
    types = list(params["types"])
    committee_min = params.get("committee_min_full_members")
    if committee_min and facts.full_member_count < committee_min and "committee_meeting" in types:
        types.remove("committee_meeting")
    held = {m.meeting_type for m in meetings_in(facts, period, types) if m.held}
    missing = [t for t in types if t not in held]
    label = period_label(period)
    numbers = {"required_types": types, "missing_types": missing}
    if not missing:
        return verdict(Status.MET, f"{label}：{type_names(types)}均已开展", **numbers)
    text = f"{label}：尚未开展{type_names(missing)}"
    if is_over(period, now):
        return verdict(
            Status.NOT_MET,
            f"{text}，期限（{fmt_day(period.last)}）已过",
            Pattern.CONTENT_MISSING,
            **numbers,
        )
    planned = {m.meeting_type for m in scheduled_in(facts, period, now, missing)}
    unplanned = [t for t in missing if t not in planned]
    days = remaining_days(period, now)
    numbers["remaining_days"] = days
    arranged = f"已安排{type_names(sorted(planned, key=missing.index))}" if planned else "均未安排"
    return verdict(
        open_status(bool(unplanned), days, warning_days(params, period.kind)),
        f"{text}；尚余 {days} 天，{arranged}",
        Pattern.CONTENT_MISSING,
        **numbers,
    )


_RECORD_LABELS = {
    "topic": "主题",
    "minutes": "会议记录",
    "lecturer": "授课人",
    "materials": "学习材料",
    "discussion": "课后讨论",
    "content_category": "内容类别",
}


def _missing_parts(m, params: dict) -> list[str]:
    from zhibu.orglife.meeting_types import MEETING_TYPES

    mtype = MEETING_TYPES.get(m.meeting_type)
    steps = params.get("steps")
    if steps is None:
        steps = [s.code for s in mtype.steps] if mtype else []
    names = {s.code: s.name for s in mtype.steps} if mtype else {}
    missing = []
    for code in steps:
        done = code in m.steps or (code == "discussion" and m.discussion_count > 0)
        if not done:
            missing.append(names.get(code, code))
    if params.get("record_fields", True) and mtype:
        present = {
            "topic": bool(m.topic),
            "minutes": m.has_minutes,
            "lecturer": m.has_lecturer,
            "materials": m.has_materials,
            "discussion": m.discussion_count > 0 or "discussion" in m.steps,
            "content_category": bool(m.content_category),
        }
        for f in mtype.record_fields:
            label = _RECORD_LABELS.get(f, f)
            if not present.get(f, True) and label not in missing:
                missing.append(label)
    return missing


def procedure_complete(params: dict, facts: Facts, period: Period, now: datetime) -> Verdict:
    """Every required step and record field of each held meeting is recorded."""
    held = [m for m in meetings_in(facts, period, params.get("types")) if m.held]
    label = period_label(period)
    if not held:
        return na(
            f"{label}：没有需检查程序的{type_names(params.get('types') or [])}记录", meetings=0
        )
    incomplete = {m.id: _missing_parts(m, params) for m in held}
    incomplete = {k: v for k, v in incomplete.items() if v}
    confirmed_bad = [m for m in held if m.id in incomplete and m.status == "confirmed"]
    numbers = {
        "meetings": len(held),
        "incomplete": len(incomplete),
        "incomplete_ids": sorted(incomplete),
    }
    if not incomplete:
        return verdict(Status.MET, f"{label}：{len(held)} 次会议程序完整", **numbers)
    by_id = {m.id: m for m in held}
    shown = list(incomplete.items())[:3]
    named = "；".join(
        f"{fmt_day(by_id[k].day)}{type_names([by_id[k].meeting_type])}缺{'、'.join(v)}"
        for k, v in shown
    )
    more = f"等 {len(incomplete)} 次" if len(incomplete) > len(shown) else ""
    text = f"{label}：{len(held)} 次会议中 {len(incomplete)} 次程序不完整（{named}{more}）"
    if confirmed_bad:
        return verdict(Status.NOT_MET, text, Pattern.PERFUNCTORY, **numbers)
    return verdict(
        Status.AT_RISK,
        text + "；记录尚未确认，请在确认前补记所缺环节",
        Pattern.PERFUNCTORY,
        **numbers,
    )


def party_content(params: dict, facts: Facts, period: Period, now: datetime) -> Verdict:
    """A party day carries party content; business or entertainment does not count."""
    types = params.get("types", ["party_day"])
    held = [m for m in meetings_in(facts, period, types) if m.held]
    label = period_label(period)
    if not held:
        return na(f"{label}：没有{type_names(types)}记录", meetings=0)
    off = [m for m in held if not m.party_content]
    numbers = {"meetings": len(held), "non_party": len(off), "non_party_ids": [m.id for m in off]}
    if not off:
        return verdict(
            Status.MET,
            f"{label}：{len(held)} 次{type_names(types)}{all_(len(held))}为党的内容",
            **numbers,
        )
    return verdict(
        Status.NOT_MET,
        f"{label}：{len(held)} 次{type_names(types)}中 {len(off)} 次内容不是党的内容"
        "（业务、行政或娱乐），不计入党日时间",
        Pattern.CONTENT_MISSING,
        **numbers,
    )


def advance_notice(params: dict, facts: Facts, period: Period, now: datetime) -> Verdict:
    """Members notified at least `notice_days` before; agenda and materials prepared."""
    types = params.get("types")
    days = int(value(params, "notice_days"))
    held = [m for m in meetings_in(facts, period, types) if m.held]
    label = period_label(period)
    if not held:
        return na(f"{label}：没有需提前通知的会议记录", meetings=0)
    late = [
        m
        for m in held
        if m.notice_sent_at is None or m.start - m.notice_sent_at < timedelta(days=days)
    ]
    unprepared = []
    if params.get("require_agenda", True):
        unprepared = [m for m in held if not m.has_agenda]
    numbers = {
        "meetings": len(held),
        "late_notice": len(late),
        "no_agenda": len(unprepared),
        "notice_days": days,
    }
    if not late and not unprepared:
        return verdict(
            Status.MET,
            f"{label}：{len(held)} 次会议{all_(len(held))}提前 {days} 天以上通知并备好议程",
            **numbers,
        )
    parts = []
    if late:
        parts.append(f"有 {len(late)} 次未提前 {days} 天通知（{_notice_lateness(late)}）")
    if unprepared:
        named = "、".join(f"{fmt_day(m.day)}{type_names([m.meeting_type])}" for m in unprepared)
        parts.append(f"有 {len(unprepared)} 次会前没有议程（{named}）")
    todo = f"；今后请在会前 {days} 天发出通知" if late else ""
    if unprepared:
        todo += "，并在通知中附上议程" if late else "；今后请在会前备好议程"
    return verdict(
        Status.NOT_MET,
        f"{label}：{len(held)} 次会议中" + "，".join(parts) + todo,
        Pattern.PERFUNCTORY,
        **numbers,
    )


def _notice_lateness(late: list) -> str:
    """Each late session as '1月12日支委会，提前 1 天通知' (or '未发通知')."""
    out = []
    for m in late:
        what = f"{fmt_day(m.day)}{type_names([m.meeting_type])}"
        if m.notice_sent_at is None:
            out.append(f"{what}未发通知")
        else:
            lead = (m.start - m.notice_sent_at).days
            out.append(f"{what}提前 {lead} 天通知" if lead >= 1 else f"{what}当天才通知")
    return "；".join(out)
