"""The compliance commands' `--since` and `--as-of` values: parsed once, for `zhibu check` and
`zhibu evaluate` alike, and refused with a one-line CommandError that shows the right form."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from zhibu.core.periods import parse


def parse_since(text: str, today: date) -> date:
    """The first day of the month `text` names ("2025-01"), not later than this month."""
    try:
        period = parse(text)
    except ValueError:
        period = None
    if period is None or period.kind != "month":
        raise CommandError(_("--since 应为月份，例如 2025-01（收到 %(value)s）") % {"value": text})
    if period.first > today:
        raise CommandError(_("--since 不能晚于本月：%(value)s 尚未开始") % {"value": text})
    return period.first


def parse_as_of(text: str, now: datetime) -> datetime:
    """The instant `text` names ("2026-11-25T10:00", local time unless it carries an offset;
    a date alone means the end of that day, or now if that is today), not later than `now`."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(
            _("--as-of 应为日期或时间，例如 2026-11-25T10:00（收到 %(value)s）") % {"value": text}
        ) from None
    if len(text.strip()) == 10:  # a date alone: everything recorded that day
        moment = datetime.combine(moment.date() + timedelta(days=1), time()) - timedelta(
            microseconds=1
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if len(text.strip()) == 10:
        moment = min(moment, now)
    if moment > now:
        raise CommandError(_("--as-of 不能晚于现在：%(value)s 尚未到来") % {"value": text})
    return moment
