"""Reads of the organization tree; every one starts from the permission layer."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from zhibu.orgs.models import Organization
from zhibu.orgs.permissions import Action, visible_to


def org_list(*, user, action: Action = Action.VIEW) -> QuerySet[Organization]:
    return visible_to(user, action, Organization.objects.all())


def org_children(*, user, org: Organization) -> QuerySet[Organization]:
    """Visible direct children with their counts of active members and sub-organizations."""
    return (
        org_list(user=user)
        .filter(parent=org)
        .annotate(
            child_count=Count("children", distinct=True),
            member_count=Count("members", filter=Q(members__is_active=True), distinct=True),
        )
        .order_by("kind", "name")
    )


def org_roots(*, user) -> list[Organization]:
    """The topmost organizations the user may see (the roots of their scope)."""
    orgs = list(org_list(user=user).order_by("path").only("pk", "name", "path", "kind"))
    roots: list[Organization] = []
    for org in orgs:
        if not any(org.path.startswith(r.path) for r in roots):
            roots.append(org)
    return roots


def org_ancestors(org: Organization) -> QuerySet[Organization]:
    return Organization.objects.filter(pk__in=org.ancestor_ids).order_by("depth")


def org_setting(org: Organization, key: str, default: Any) -> Any:
    """A per-organization setting, taken from the nearest ancestor that sets it."""
    rows = Organization.objects.filter(pk__in=org.ancestor_ids).values_list("path", "settings")
    for _path, values in sorted(rows, key=lambda r: -len(r[0])):
        if key in (values or {}):
            return values[key]
    return default
