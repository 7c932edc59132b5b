"""What a rule kind returns: a status, its numbers, a plain-Chinese explanation, a pattern."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    MET = "met", _("达标")
    OPEN = "open", _("进行中")
    AT_RISK = "at_risk", _("有风险")
    NOT_MET = "not_met", _("未达标")
    NOT_APPLICABLE = "not_applicable", _("不适用")


class Pattern(models.TextChoices):
    """The four ways organizational life fails (DOMAIN.md §0, organ_four_patterns)."""

    TIME_SQUEEZED = "time_squeezed", _("时间经常被挤占")
    PERFUNCTORY = "perfunctory", _("落实经常走过场")
    CONTENT_MISSING = "content_missing", _("内容经常有遗漏")
    PEOPLE_MISSING = "people_missing", _("人员经常到不齐")


class Severity(models.TextChoices):
    BLOCKING = "blocking", _("否决")
    CRITICAL = "critical", _("严重")
    HIGH = "high", _("高")
    MEDIUM = "medium", _("中")
    LOW = "low", _("低")


SEVERITY_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3, "blocking": 4}


@dataclass(frozen=True)
class Verdict:
    status: str  # a Status value
    explanation: str  # plain Chinese, with the numbers
    numbers: dict = field(default_factory=dict)
    pattern: str = ""  # a Pattern value for at_risk / not_met, else ""
