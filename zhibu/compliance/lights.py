"""The traffic light: what colour one obligation gives its branch, from its status and severity.

Severity decides the light. A branch is red only for a `not_met` of a rule of severity high or
above; yellow for `at_risk` on those or `not_met` on a medium rule; a low-severity miss (and
`at_risk` on a medium or low rule) is a 提示 (hint): counted and shown, never colouring the
branch. An open period (进行中) is neutral. This module is the one definition; the dashboard, the
trend, the drill-downs, the exports and the API read it (`zhibu.compliance.models` derives its
SQL twins from the same table).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import models
from django.utils.translation import gettext_lazy as _

from zhibu.compliance.verdicts import SEVERITY_RANK, Severity, Status


class Light(models.TextChoices):
    RED = "red", _("未达标")
    YELLOW = "yellow", _("需关注")
    OPEN = "open", _("进行中")
    GREEN = "green", _("达标")
    HINT = "hint", _("提示")
    GREY = "grey", _("不适用")


_HIGH = SEVERITY_RANK[Severity.HIGH]
_MEDIUM = SEVERITY_RANK[Severity.MEDIUM]


def light(status: str, severity: str) -> str:
    """The light of one obligation (a Light value); an unknown severity is a wiring error."""
    rank = SEVERITY_RANK[severity]
    if status == Status.NOT_MET:
        if rank >= _HIGH:
            return Light.RED
        return Light.YELLOW if rank == _MEDIUM else Light.HINT
    if status == Status.AT_RISK:
        return Light.YELLOW if rank >= _HIGH else Light.HINT
    if status == Status.OPEN:
        return Light.OPEN
    if status == Status.MET:
        return Light.GREEN
    return Light.GREY


# A cell takes the worst light among its obligations; a hint colours like green.
CELL_ORDER = (Light.RED, Light.YELLOW, Light.OPEN, Light.GREEN, Light.GREY)
_AS_CELL = {Light.HINT: Light.GREEN}


def worst(counts: Mapping[str, int], *, ended: bool = False) -> str:
    """The colour of a cell holding `counts` obligations per light; "" when it holds none.

    In the view of a period that has `ended`, an open obligation can only be one of a longer
    period containing it (the year of a closed month; the dashboard counts such at_risk ones
    as open too): still running, it says nothing about the closed period, so it colours like
    green."""
    as_cell = _AS_CELL | {Light.OPEN: Light.GREEN} if ended else _AS_CELL
    present = {as_cell.get(key, key) for key, n in counts.items() if n}
    return next((str(c) for c in CELL_ORDER if c in present), "")


# Drill-downs list exceptions first: not_met, at_risk, then open, then hints; met and
# not_applicable last (hidden unless asked for).
_LIGHT_RANK = {Light.RED: 0, Light.YELLOW: 1, Light.OPEN: 2, Light.HINT: 3, Light.GREEN: 4}
_STATUS_RANK = {Status.NOT_MET: 0, Status.AT_RISK: 1, Status.OPEN: 2, Status.MET: 3}
EXCEPTIONS = frozenset({Status.NOT_MET, Status.AT_RISK, Status.OPEN})


def exception_rank(status: str, severity: str) -> int:
    """Sort key of a drill-down row: red, yellow (not_met before at_risk), open, hints, met."""
    return 10 * _LIGHT_RANK.get(light(status, severity), 5) + _STATUS_RANK.get(status, 4)
