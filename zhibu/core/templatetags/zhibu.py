"""Template helpers: ask the permission layer (so templates never hard-code roles), carry the
query string across pages, and write dates as people read them."""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.db.models import Model
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from zhibu.orgs import permissions

register = template.Library()


@register.simple_tag
def has_any(user, action: str) -> bool:
    """`{% has_any user "change" as can_change %}`: may the user do this anywhere (menus)."""
    return permissions.has_any(user, permissions.Action(action))


@register.simple_tag
def can(user, action: str, obj: Model) -> bool:
    """`{% can user "change" member as can_edit %}`: may the user do this to this object."""
    return permissions.can(user, permissions.Action(action), obj)


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (for pagination links)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return params.urlencode()


def _local_day(value) -> date | None:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


@register.filter
def day(value) -> str:
    """A date (or the day of a time) as people write it: 2月15日 this year, 2025年2月15日 in
    another, so a December page never shows a deadline of February without its year."""
    d = _local_day(value)
    if not d:
        return ""
    same = d.year == timezone.localdate().year
    return date_format(d, gettext("n月j日") if same else gettext("Y年n月j日"))


@register.filter
def day_time(value) -> str:
    """A time with its day (the year only when it is not the current one)."""
    if not value:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{day(local)} {local:%H:%M}"
