"""The period selector shared by the compliance pages, the export and the API."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from zhibu.core import periods
from zhibu.core.periods import Period

BY_CHOICES = [("branch", _("按支部")), ("child", _("按下级组织"))]


def period_label(period: Period) -> str:
    """The period as a Chinese label: 2026年10月, 2026年第3季度, 2026年上半年, 2026年."""
    y = period.first.year
    if period.kind == "month":
        return f"{y}年{period.first.month}月"
    if period.kind == "quarter":
        return f"{y}年第{(period.first.month - 1) // 3 + 1}季度"
    if period.kind == "half":
        return f"{y}年{'上' if period.first.month <= 6 else '下'}半年"
    if period.kind == "year":
        return f"{y}年"
    return f"{y}年至今（截至{period.last.month}月{period.last.day}日）"


def period_choices(today: date, current: Period | None = None) -> list[tuple[str, str]]:
    """Recent periods for the selector: the last 12 months, quarters, halves and years, ytd."""
    out: list[Period] = [periods.ytd(today)]
    m = periods.containing("month", today)
    for _i in range(12):
        out.append(m)
        m = periods.containing("month", m.first.replace(day=1) - timedelta(days=1))
    for kind in ("quarter", "half"):
        p = periods.containing(kind, today)
        for _i in range(4 if kind == "quarter" else 2):
            out.append(p)
            p = periods.containing(kind, p.first - timedelta(days=1))
    out += [periods.year(today.year), periods.year(today.year - 1)]
    choices = [("ytd" if p.kind == "ytd" else p.key, period_label(p)) for p in out]
    if current is not None and current.kind != "ytd" and current.key not in dict(choices):
        choices.insert(1, (current.key, period_label(current)))
    return choices


class PeriodForm(forms.Form):
    """`?period=2026Q3&by=branch` — bad values are answered with a message, not a 500."""

    period = forms.CharField(label=_("期间"), required=False, max_length=24)
    by = forms.ChoiceField(label=_("分组"), choices=BY_CHOICES, required=False)

    def __init__(self, *args, today: date, default_kind: str = "month", **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.default_kind = default_kind

    def clean_period(self) -> Period:
        text = (self.cleaned_data.get("period") or "").strip()
        if not text:
            return periods.containing(self.default_kind, self.today)
        try:
            return periods.parse(text, today=self.today)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_by(self) -> str:
        return self.cleaned_data.get("by") or "branch"

    def resolved(self) -> tuple[Period, str, dict[str, list[str]]]:
        """(period, by, errors): falls back to the default period when the input is bad."""
        if self.is_valid():
            return self.cleaned_data["period"], self.cleaned_data["by"], {}
        errors = {k: [str(e) for e in v] for k, v in self.errors.items()}
        by = self.data.get("by") if self.data.get("by") in dict(BY_CHOICES) else "branch"
        return periods.containing(self.default_kind, self.today), by, errors
