"""Rule kinds: pure functions `evaluate(params, facts, period, now) -> Verdict`.

Rule instances (profiles/*.toml) name a kind and give its parameters. Adding a kind means one
function here plus its table-driven test; adding a rule is one profile entry.

The engine asks for a subject's periods at once (`KIND_PERIODS`): a kind judged for every
member and month may give a `*_periods` form that derives the subject's numbers once, which
its one-period form then calls.

`STRICTER` says, per kind, in which direction each numeric parameter is stricter (+1: a larger
value is stricter; -1: a smaller one is). An override that moves a parameter the other way,
or changes a parameter without a known direction, loosens the rule and needs `loosens=True`.
Parameters of organizational life (make-up deadline, half-day length, notice days, warning
windows, ...) are not rule params: they live in the registry (orgs.parameters), which has its
own stricter directions, and reach a kind merged into its params by the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from zhibu.compliance.kinds.base import Facts
from zhibu.compliance.kinds.committee import term_due
from zhibu.compliance.kinds.meetings import (
    advance_notice,
    min_count,
    party_content,
    procedure_complete,
    types_held,
)
from zhibu.compliance.kinds.party_day import min_duration, paced_total
from zhibu.compliance.kinds.people import (
    attendance,
    attendance_periods,
    attendance_register,
    dual_life,
    makeup_done,
    makeup_done_periods,
    silence,
    silence_periods,
)
from zhibu.compliance.kinds.reports import member_report, member_report_periods
from zhibu.compliance.verdicts import Verdict
from zhibu.core.periods import Period

Kind = Callable[[dict, Facts, Period, datetime], Verdict]

KINDS: dict[str, Kind] = {
    "min_count": min_count,
    "types_held": types_held,
    "procedure_complete": procedure_complete,
    "party_content": party_content,
    "advance_notice": advance_notice,
    "paced_total": paced_total,
    "min_duration": min_duration,
    "attendance": attendance,
    "attendance_register": attendance_register,
    "makeup_done": makeup_done,
    "dual_life": dual_life,
    "silence": silence,
    "member_report": member_report,
    "term_due": term_due,
}

KindPeriods = Callable[[dict, Facts, Sequence[Period], datetime], list[Verdict]]


def _each(kind: Kind) -> KindPeriods:
    def each(params: dict, facts: Facts, periods: Sequence[Period], now: datetime):
        return [kind(params, facts, period, now) for period in periods]

    return each


KIND_PERIODS: dict[str, KindPeriods] = {name: _each(kind) for name, kind in KINDS.items()} | {
    "attendance": attendance_periods,
    "makeup_done": makeup_done_periods,
    "member_report": member_report_periods,
    "silence": silence_periods,
}

# Parameters that only label or describe (never a loosening).
NEUTRAL_PARAMS = frozenset({"pattern"})

STRICTER: dict[str, dict[str, int]] = {
    "min_count": {"count": +1, "min_minutes": +1},
    "types_held": {},
    "procedure_complete": {},
    "party_content": {},
    "advance_notice": {},
    "paced_total": {"monthly_units": +1, "yearly_units": +1},
    "min_duration": {},
    "attendance": {"max_unexcused": -1, "min_rate": +1},
    "attendance_register": {},
    "makeup_done": {},
    "dual_life": {"min_attended": +1, "max_unexcused": -1},
    "silence": {"days": -1, "warn_days": -1},
    "term_due": {"warn_days_year": +1},  # a longer warning window warns earlier
    "member_report": {"count": +1},
}

# List parameters where adding items is stricter (more meeting types required).
SUPERSET_STRICTER: dict[str, frozenset[str]] = {
    "types_held": frozenset({"types"}),
}


def loosened_params(kind: str, base: dict, new: dict) -> list[str]:
    """Names of parameters that `new` loosens relative to `base` for this kind."""
    directions = STRICTER.get(kind, {})
    supersets = SUPERSET_STRICTER.get(kind, frozenset())
    loose = []
    for key, value in new.items():
        if key in NEUTRAL_PARAMS or base.get(key) == value:
            continue
        old = base.get(key)
        if key in directions and isinstance(value, int | float) and not isinstance(value, bool):
            # Adding a limit where there was none is stricter either way.
            if old is None or (value - old) * directions[key] > 0:
                continue
        elif key in supersets and isinstance(value, list) and set(old or []) <= set(value):
            continue
        loose.append(key)
    return loose
