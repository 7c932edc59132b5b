"""The committee's term: elections held on time (按期换届)."""

from __future__ import annotations

from datetime import datetime

from zhibu.compliance.kinds.base import (
    Facts,
    fmt_date,
    is_over,
    na,
    open_status,
    period_label,
    reference_day,
    verdict,
)
from zhibu.compliance.verdicts import Status, Verdict
from zhibu.core.periods import Period
from zhibu.orgs import parameters


def term_due(params: dict, facts: Facts, period: Period, now: datetime) -> Verdict:
    """The term of the committee elected last has not run out without a new election.

    The term is the one recorded with the election (the `term_years` parameter when it was
    recorded, or the length the upper committee approved). A branch with no recorded election
    is not judged (nothing to count from); a term ending inside a running period is `open`
    until the warning window, then `at_risk`."""
    ref = reference_day(period, now)
    held = [e for e in facts.elections if e.held_on <= ref]
    if not held:
        return na("尚未登记换届选举，无法判断任期", elections=0)
    last = max(held, key=lambda e: e.held_on)
    ends = last.ends_on
    numbers = {
        "held_on": last.held_on.isoformat(),
        "term_years": last.term_years,
        "ends_on": ends.isoformat(),
    }
    if ends >= period.last:
        return verdict(
            Status.MET,
            f"{last.held_on.year}年选举产生的委员会任期至{fmt_date(ends)}，"
            f"{period_label(period)}在任期内",
            **numbers,
        )
    if ends < ref or is_over(period, now):
        over = (ref - ends).days
        return verdict(
            Status.NOT_MET,
            f"委员会任期已于{fmt_date(ends)}届满，至今 {over} 天未登记换届选举："
            "请按期换届，延期须经上级党组织批准",
            pattern="content_missing",
            days_over=over,
            **numbers,
        )
    days_left = (ends - ref).days
    warn = parameters.warning_days(params, period.kind)
    status = open_status(True, days_left, warn)
    return verdict(
        status,
        f"委员会任期将于{fmt_date(ends)}届满，还有 {days_left} 天：请做好换届选举准备",
        pattern="content_missing",
        days_left=days_left,
        **numbers,
    )
