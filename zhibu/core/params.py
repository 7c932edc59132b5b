"""The one place where numbers typed into URLs and forms become integers, years and ids.

Anything else reaches the database as it came (`?year=99999` as a datetime, an id beyond 64 bits
as an SQLite integer) and answers 500. Every page, API filter and service parameter that takes
an integer, an id or a year parses it here and gets a ValidationError naming the field.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import ValidationError

# The Party's founding year to a century ahead: the range of every year the records can hold.
YEAR_MIN, YEAR_MAX = 1921, 2100
MAX_ID = 2**63 - 1  # the largest primary key of every supported database


def parse_int(raw, *, field: str, label: str, lo: int, hi: int, default: int | None = None) -> int:
    """`raw` (text or number) as an integer within [lo, hi]; `default` when empty."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if default is not None:
            return default
        raise ValidationError({field: f"请填写{label}"}, code="required")
    text = str(raw).strip().translate({ord(c): ord(c) - 0xFEE0 for c in "０１２３４５６７８９"})
    if not (text.isascii() and text.lstrip("-").isdigit()) or len(text) > 20:
        raise ValidationError({field: f"{label}应为整数（收到 {text[:20]}）"}, code="invalid")
    value = int(text)
    if not lo <= value <= hi:
        raise ValidationError({field: f"{label}应在 {lo} 到 {hi} 之间"}, code="range")
    return value


def parse_year(raw, *, field: str = "year", default: int | None = None) -> int:
    return parse_int(raw, field=field, label="年度", lo=YEAR_MIN, hi=YEAR_MAX, default=default)


def check_year(value: int, *, field: str, label: str) -> None:
    """For dates and times already parsed: their year must lie in the records' range."""
    if not YEAR_MIN <= value <= YEAR_MAX:
        raise ValidationError({field: f"{label}的年份应在 {YEAR_MIN} 到 {YEAR_MAX} 之间"})


class IdFilter(django_filters.NumberFilter):
    """A filter by id: a whole number that fits a primary key (else the filter is invalid)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class BoundedNumberFilter(django_filters.NumberFilter):
    """A whole-number filter within [min_value, max_value] (years, months)."""

    field_class = forms.IntegerField
