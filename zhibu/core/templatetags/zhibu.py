"""Template helpers that ask the permission layer, so templates never hard-code roles."""

from __future__ import annotations

from django import template
from django.db.models import Model

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
