"""The one home of every rule parameter of organizational life.

A parameter (make-up deadline, half-day length, warning windows, ...) is defined here once:
its key, default, unit, the document it comes from, its valid range and which direction is
stricter. An organization may set a value for its subtree; the nearest ancestor's setting
wins, except that a setting looser than what it inherits counts only if it was made as an
explicit loosening with a reason (the same policy as rule overrides; see `resolve`).

Services, forms, planners and the demo read an organization's value through
`orgs.selectors.parameter_value` / `parameters_for`; rule kinds read `value(params, key)`
(the engine merges a branch's resolved parameters under the rule's own params). Nothing else
defines a number of organizational life.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from zhibu.core.sources import OWN_RULES, Source, source_text
from zhibu.core.text import normalize_digits

# Key of Organization.settings listing the parameters this organization set as an explicit,
# reasoned loosening (the reason itself is in its ParameterChange history).
LOOSENED_KEY = "parameters_loosened"

INT = "int"
FRACTION = "fraction"  # a share such as "1/3", stored as that string


@dataclass(frozen=True)
class Parameter:
    key: str
    default: int | str
    label: Any  # translated label
    unit: Any  # translated unit ("" for a share)
    help: Any  # translated: what the value means, in one line
    sources: tuple[Source, ...]  # where the default comes from (shown with source_text)
    minimum: int | str
    maximum: int | str
    stricter: int  # +1: a larger value is stricter; -1: a smaller one is; 0: neither
    type: str = INT

    @property
    def source(self) -> str:
        return source_text(self.sources)

    def number(self, raw: Any) -> Fraction:
        """The value as a number, for range checks and comparisons."""
        return Fraction(str(raw))

    def display(self, raw: Any) -> str:
        """The value with its unit, as a user reads it (e.g. "30 天", "1/3")."""
        return f"{raw} {self.unit}" if self.unit else str(raw)


OWN = (Source(OWN_RULES),)
# The 民主评议 page of 共产党员网 (12371.cn) is where the 1/3 share is stated.
REVIEW_PAGE = (Source("共产党员网“支部生活·民主评议”专题"),)

PARAMETERS: dict[str, Parameter] = {
    p.key: p
    for p in (
        Parameter(
            "makeup_days",
            30,
            _("补课期限"),
            _("天"),
            _("缺席（含请假）的党员须在会议后多少天内完成补课"),
            OWN,
            1,
            90,
            -1,
        ),
        Parameter(
            "late_entry_days",
            7,
            _("补记期限"),
            _("天"),
            _("会议日期早于录入日多少天以上的记录标记为补记，须说明理由"),
            OWN,
            0,
            60,
            -1,
        ),
        Parameter(
            "late_after_minutes",
            15,
            _("迟到判定"),
            _("分钟"),
            _("会议开始后超过多少分钟签到记为迟到"),
            OWN,
            0,
            120,
            -1,
        ),
        Parameter(
            "signin_margin_minutes",
            30,
            _("签到时间窗"),
            _("分钟"),
            _("会议开始前、结束后多少分钟内可以签到"),
            OWN,
            5,
            240,
            -1,
        ),
        Parameter(
            "half_day_minutes",
            180,
            _("半天时长"),
            _("分钟"),
            _("党日活动计为一个半天须实际达到的时长；新建党日默认按此时长安排"),
            OWN,
            60,
            300,
            +1,
        ),
        Parameter(
            "flag_minutes",
            60,
            _("走过场判定时长"),
            _("分钟"),
            _("安排半天的党日不到多少分钟就结束的，属走过场"),
            OWN,
            1,
            240,
            +1,
        ),
        Parameter(
            "notice_days",
            3,
            _("提前通知天数"),
            _("天"),
            _("会议须至少提前多少天通知党员"),
            OWN,
            0,
            30,
            +1,
        ),
        Parameter(
            "excellent_cap",
            "1/3",
            _("优秀比例上限"),
            "",
            _("民主评议党员评为优秀的，一般不超过正式党员总数的这一比例"),
            REVIEW_PAGE,
            "1/100",
            "1",
            -1,
            FRACTION,
        ),
        Parameter(
            "recheck_months",
            6,
            _("整改回头看间隔"),
            _("个月"),
            _("整改验收销号后多少个月开展回头看"),
            OWN,
            1,
            24,
            -1,
        ),
        Parameter(
            "probation_notice_days",
            30,
            _("预备期届满提醒"),
            _("天"),
            _("预备党员预备期届满前多少天提醒本人和支部准备转正"),
            OWN,
            1,
            90,
            +1,
        ),
        Parameter(
            "warn_days_month",
            10,
            _("月度提前预警天数"),
            _("天"),
            _("月度要求尚未完成的，月末前多少天起提示有风险"),
            OWN,
            1,
            31,
            +1,
        ),
        Parameter(
            "warn_days_quarter",
            20,
            _("季度提前预警天数"),
            _("天"),
            _("季度要求尚未完成的，季末前多少天起提示有风险"),
            OWN,
            1,
            92,
            +1,
        ),
        Parameter(
            "warn_days_half",
            30,
            _("半年提前预警天数"),
            _("天"),
            _("半年要求尚未完成的，半年结束前多少天起提示有风险"),
            OWN,
            1,
            184,
            +1,
        ),
        Parameter(
            "warn_days_year",
            45,
            _("年度提前预警天数"),
            _("天"),
            _("年度要求尚未完成的，年末前多少天起提示有风险"),
            OWN,
            1,
            366,
            +1,
        ),
        Parameter(
            "term_years",
            3,
            _("支部委员会每届任期"),
            _("年"),
            _("党支部委员会每届任期的年数，到期应按期换届"),
            (Source("中国共产党党和国家机关基层组织工作条例", "第七条"),),
            3,
            5,
            -1,
        ),
    )
}


def default(key: str) -> int | str:
    """The registry default of a parameter (KeyError for an unknown key: a wiring error)."""
    return PARAMETERS[key].default


def value(params: dict, key: str) -> Any:
    """A parameter as a rule kind sees it: the resolved value in `params`, else the default."""
    found = params.get(key)
    return PARAMETERS[key].default if found is None else found


def warning_days(params: dict, period_kind: str) -> int:
    """Days before a period's end from which a short open period is at risk."""
    return int(value(params, f"warn_days_{period_kind}"))


def clean(key: str, raw: Any) -> int | str:
    """A user's input for `key` as the stored value, or a ValidationError saying what to fix."""
    p = PARAMETERS.get(key)
    if p is None:
        raise ValidationError({"key": f"没有名为“{key}”的组织生活参数"})
    text = normalize_digits(str(raw if raw is not None else "")).strip()
    if p.type == FRACTION:
        text = text.replace("／", "/")
        try:
            number = Fraction(text)
        except (ValueError, ZeroDivisionError):
            raise ValidationError({"value": f"“{p.label}”应为比例，如 1/3 或 0.3"}) from None
        cleaned: int | str = f"{number.numerator}/{number.denominator}"
        if number.denominator == 1:
            cleaned = str(number.numerator)
    else:
        try:
            number = Fraction(int(text))
        except ValueError:
            raise ValidationError({"value": f"“{p.label}”应为整数（{p.unit}）"}) from None
        cleaned = int(number)
    low, high = p.number(p.minimum), p.number(p.maximum)
    if not low <= number <= high:
        raise ValidationError(
            {"value": f"“{p.label}”应在 {p.display(p.minimum)}至 {p.display(p.maximum)}之间"}
        )
    return cleaned


def looser(key: str, new: Any, base: Any) -> bool:
    """Whether `new` loosens the requirement relative to `base` (a change without a known
    direction counts as loosening)."""
    p = PARAMETERS[key]
    a, b = p.number(new), p.number(base)
    if a == b:
        return False
    return p.stricter == 0 or (a - b) * p.stricter < 0


@dataclass(frozen=True)
class Resolved:
    """An organization's effective value of one parameter and where it comes from."""

    key: str
    value: Any
    org_id: int | None  # the organization whose setting applies; None: the registry default
    loosened: bool = False  # the applying setting is an explicit, reasoned loosening
    ignored_org_id: int | None = None  # a looser setting below it that does not count

    @property
    def parameter(self) -> Parameter:
        return PARAMETERS[self.key]


def _defaults() -> dict[str, Resolved]:
    return {key: Resolved(key, p.default, None) for key, p in PARAMETERS.items()}


def _apply(inherited: dict[str, Resolved], org_id: int, values: dict) -> dict[str, Resolved]:
    """What one organization's settings make of the parameters it inherits."""
    keys = PARAMETERS.keys() & (values or {}).keys()
    if not keys:
        return inherited  # shared, never mutated
    out = dict(inherited)
    loosened = set(values.get(LOOSENED_KEY) or ())
    for key in keys:
        raw, current = values[key], inherited[key]
        if looser(key, raw, current.value) and key not in loosened:
            out[key] = Resolved(key, current.value, current.org_id, current.loosened, org_id)
        else:
            out[key] = Resolved(key, raw, org_id, key in loosened)
    return out


def resolve(levels: Iterable[tuple[int, dict]]) -> dict[str, Resolved]:
    """Every parameter's effective value down one chain of organizations (root first, each
    as (org id, its settings)): the nearest setting wins, unless it is looser than what it
    inherits and was not set as an explicit loosening — then the inherited value stands."""
    out = _defaults()
    for org_id, values in levels:
        out = _apply(out, org_id, values)
    return out


def resolve_many(orgs: Iterable[Any]) -> dict[int, dict[str, Resolved]]:
    """`resolve` for many organizations at once from their paths and settings alone (no
    query): `orgs` must hold every ancestor of each one (as the engine loads them). Each
    organization starts from its parent's result, so a big tree costs one pass."""
    from zhibu.orgs.models import SEGMENT

    by_path: dict[str, dict[str, Resolved]] = {"": _defaults()}
    out: dict[int, dict[str, Resolved]] = {}
    for o in sorted(orgs, key=lambda o: o.path):
        prefix = o.path[:-SEGMENT]
        while prefix not in by_path:  # an ancestor not given (inactive): the nearest one
            prefix = prefix[:-SEGMENT]
        parent = by_path[prefix]
        by_path[o.path] = out[o.pk] = _apply(parent, o.pk, o.settings)
    return out


def overrides(resolved: dict[str, Resolved]) -> dict[str, Any]:
    """Only the values an organization's tree sets (the rest is the default `value` reads)."""
    return {key: r.value for key, r in resolved.items() if r.org_id is not None}
