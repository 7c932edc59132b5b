"""The one home of every rule parameter of organizational life.

A parameter (make-up deadline, half-day length, warning windows, ...) is defined here once:
its key, default, unit, the document it comes from and its valid range. Services, forms, rule
kinds, planners and the demo read values through `value()` (a kind's params, falling back to
the default) or the organization-level resolution, never a literal of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Parameter:
    key: str
    default: int | float
    label: Any  # translated label
    unit: Any  # translated unit
    source: str  # the document (and article, where confirmed) the default comes from
    minimum: int | float
    maximum: int | float
    stricter: int  # +1: a larger value is stricter; -1: a smaller one is; 0: neither


ORGAN_RULES = "本单位规定"

PARAMETERS: dict[str, Parameter] = {
    p.key: p
    for p in (
        Parameter(
            "flag_minutes",
            60,
            _("走过场判定时长"),
            _("分钟"),
            ORGAN_RULES,
            1,
            240,
            +1,
        ),
        Parameter(
            "warn_days_month",
            10,
            _("月度提前预警天数"),
            _("天"),
            ORGAN_RULES,
            1,
            31,
            +1,
        ),
        Parameter(
            "warn_days_quarter",
            20,
            _("季度提前预警天数"),
            _("天"),
            ORGAN_RULES,
            1,
            92,
            +1,
        ),
        Parameter(
            "warn_days_half",
            30,
            _("半年提前预警天数"),
            _("天"),
            ORGAN_RULES,
            1,
            184,
            +1,
        ),
        Parameter(
            "warn_days_year",
            45,
            _("年度提前预警天数"),
            _("天"),
            ORGAN_RULES,
            1,
            366,
            +1,
        ),
        Parameter(
            "term_years",
            3,
            _("支部委员会每届任期"),
            _("年"),
            "《中国共产党党和国家机关基层组织工作条例》第七条",
            3,
            5,
            -1,
        ),
    )
}


def default(key: str) -> int | float:
    """The registry default of a parameter (KeyError for an unknown key: a wiring error)."""
    return PARAMETERS[key].default


def value(params: dict, key: str) -> int | float:
    """A parameter as a rule kind sees it: the resolved value in `params`, else the default."""
    found = params.get(key)
    return PARAMETERS[key].default if found is None else found


def warning_days(params: dict, period_kind: str) -> int:
    """Days before a period's end from which a short open period is at risk."""
    return int(value(params, f"warn_days_{period_kind}"))
