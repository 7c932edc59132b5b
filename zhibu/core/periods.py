"""Calendar periods in the local time zone (Asia/Shanghai by default).

Rules are stated per month, quarter, half-year and year of the local calendar, so a period's
bounds are local dates; `start`/`end` as aware datetimes are derived for database filters.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

KINDS = ("month", "quarter", "half", "year", "ytd")


@dataclass(frozen=True)
class Period:
    kind: str
    first: date  # first local day, inclusive
    last: date  # last local day, inclusive

    @property
    def key(self) -> str:
        y = self.first.year
        if self.kind == "month":
            return f"{y}-{self.first.month:02d}"
        if self.kind == "quarter":
            return f"{y}Q{(self.first.month - 1) // 3 + 1}"
        if self.kind == "half":
            return f"{y}H{1 if self.first.month <= 6 else 2}"
        if self.kind == "year":
            return str(y)
        return f"{y}YTD{self.last.isoformat()}"

    @property
    def start(self) -> datetime:
        return local_midnight(self.first)

    @property
    def end(self) -> datetime:
        """Exclusive end: local midnight after the last day."""
        return local_midnight(self.last + timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def contains(self, day: date) -> bool:
        return self.first <= day <= self.last

    def months(self) -> list[Period]:
        out, d = [], self.first
        while d <= self.last:
            out.append(month(d.year, d.month))
            d = out[-1].last + timedelta(days=1)
        return out

    def __str__(self) -> str:
        return self.key


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def local_date(moment: datetime | None = None) -> date:
    return timezone.localdate(moment or timezone.now())


def month(year: int, m: int) -> Period:
    return Period("month", date(year, m, 1), date(year, m, calendar.monthrange(year, m)[1]))


def quarter(year: int, q: int) -> Period:
    first_month = 3 * (q - 1) + 1
    return Period(
        "quarter",
        date(year, first_month, 1),
        month(year, first_month + 2).last,
    )


def half(year: int, h: int) -> Period:
    if h == 1:
        return Period("half", date(year, 1, 1), date(year, 6, 30))
    return Period("half", date(year, 7, 1), date(year, 12, 31))


def year(y: int) -> Period:
    return Period("year", date(y, 1, 1), date(y, 12, 31))


def ytd(day: date) -> Period:
    return Period("ytd", date(day.year, 1, 1), day)


def containing(kind: str, day: date) -> Period:
    """The period of `kind` that contains local day `day`."""
    if kind == "month":
        return month(day.year, day.month)
    if kind == "quarter":
        return quarter(day.year, (day.month - 1) // 3 + 1)
    if kind == "half":
        return half(day.year, 1 if day.month <= 6 else 2)
    if kind == "year":
        return year(day.year)
    if kind == "ytd":
        return ytd(day)
    raise ValueError(f"unknown period kind {kind!r}")


_PATTERNS = [
    (re.compile(r"^(\d{4})-(\d{1,2})$"), lambda m: month(int(m[1]), int(m[2]))),
    (re.compile(r"^(\d{4})[Qq]([1-4])$"), lambda m: quarter(int(m[1]), int(m[2]))),
    (re.compile(r"^(\d{4})[Hh]([12])$"), lambda m: half(int(m[1]), int(m[2]))),
    (re.compile(r"^(\d{4})$"), lambda m: year(int(m[1]))),
]


def parse(text: str, today: date | None = None) -> Period:
    """Parse '2026-10', '2026Q3', '2026H2', '2026' or 'ytd' (year to date at `today`)."""
    text = (text or "").strip()
    if text.lower() == "ytd":
        return ytd(today or local_date())
    for pattern, build in _PATTERNS:
        m = pattern.match(text)
        if m:
            try:
                return build(m)
            except ValueError:
                break
    raise ValueError(
        f"无法识别的期间 {text!r}：请写成 2026-10（月）、2026Q3（季度）、"
        "2026H2（半年）、2026（年）或 ytd"
    )


def months_after(day: date, months: int) -> date:
    """The same day `months` later (capped at the 28th, so every month has it)."""
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, min(day.day, 28))
