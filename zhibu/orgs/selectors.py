"""Reads of the organization tree; every one starts from the permission layer."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from zhibu.orgs.filtersets import OrganizationFilterSet
from zhibu.orgs.models import Organization
from zhibu.orgs.permissions import Action, scope_paths, visible_to


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
    """The topmost organizations the user may see (the roots of their scope), in one
    index-backed query: never the whole visible tree."""
    paths = scope_paths(user, Action.VIEW)
    tops = Q(parent__isnull=True) if paths is None else Q(path__in=paths)
    return list(
        visible_to(user, Action.VIEW, Organization.objects.filter(tops))
        .order_by("path")
        .only("pk", "name", "path", "kind")
    )


def org_ancestors(org: Organization) -> QuerySet[Organization]:
    return Organization.objects.filter(pk__in=org.ancestor_ids).order_by("depth")


def org_setting(org: Organization, key: str, default: Any) -> Any:
    """A per-organization setting, taken from the nearest ancestor that sets it."""
    rows = Organization.objects.filter(pk__in=org.ancestor_ids).values_list("path", "settings")
    for _path, values in sorted(rows, key=lambda r: -len(r[0])):
        if key in (values or {}):
            return values[key]
    return default


def _with_counts(queryset: QuerySet[Organization]) -> QuerySet[Organization]:
    """Annotate child and active-member counts as correlated subqueries (no join fan-out).

    A member is counted in their branch and in their party group, so both kinds show a number.
    """
    from zhibu.members.models import Member

    members = (
        Member.objects.filter(
            Q(branch_id=OuterRef("pk")) | Q(party_group_id=OuterRef("pk")), is_active=True
        )
        .order_by()
        .values("is_active")
        .annotate(n=Count("pk"))
        .values("n")
    )
    children = (
        Organization.objects.filter(parent_id=OuterRef("pk"))
        .order_by()
        .values("parent_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return queryset.annotate(
        member_count=Coalesce(Subquery(members, output_field=IntegerField()), 0),
        child_count=Coalesce(Subquery(children, output_field=IntegerField()), 0),
    )


def org_scope_roots(*, user) -> QuerySet[Organization]:
    """The tops of the user's visible subtrees, with counts, in one index-backed query.

    Cheap for a province-wide administrator: it never loads the whole visible tree.
    """
    paths = scope_paths(user, Action.VIEW)
    tops = Q(parent__isnull=True) if paths is None else Q(path__in=paths)
    base = Organization.objects.filter(tops)
    return _with_counts(visible_to(user, Action.VIEW, base)).order_by("path")


def org_tree_children(*, user, org: Organization) -> QuerySet[Organization]:
    """Visible direct children of `org` with their counts, for one level of the tree."""
    return _with_counts(org_list(user=user).filter(parent=org)).order_by("path")


def org_visible_ancestors(*, user, org: Organization) -> QuerySet[Organization]:
    """The ancestors of `org` (itself excluded) that the user may open, root first."""
    return org_list(user=user).filter(pk__in=org.ancestor_ids[:-1]).order_by("depth")


def org_search(*, user, data, limit: int = 50) -> tuple[OrganizationFilterSet, list[Organization]]:
    """Organizations matching the shared OrganizationFilterSet, capped at `limit` rows."""
    filterset = OrganizationFilterSet(data, queryset=org_list(user=user))
    rows = list(_with_counts(filterset.qs).order_by("path")[:limit]) if filterset.is_valid() else []
    return filterset, rows


def org_events(*, user, org: Organization, limit: int = 200) -> QuerySet:
    """The history of an organization, newest first (one query, actor joined)."""
    from zhibu.orgs.models import OrgEvent

    return (
        visible_to(user, Action.VIEW, OrgEvent.objects.filter(org=org))
        .select_related("actor")
        .order_by("-created_at", "-pk")[:limit]
    )


def org_move_targets(*, user, org: Organization) -> QuerySet[Organization]:
    """Where `org` may be moved: active organizations the user may change, outside its own
    subtree, that may hold it (no party group; a party group only under a branch)."""
    from zhibu.orgs.models import OrgKind, subtree_q

    qs = visible_to(user, Action.CHANGE, Organization.objects.filter(is_active=True)).exclude(
        subtree_q(org.path)
    )
    if org.kind == OrgKind.PARTY_GROUP:
        qs = qs.filter(kind=OrgKind.BRANCH)
    else:
        qs = qs.exclude(kind=OrgKind.PARTY_GROUP)
        if org.kind == OrgKind.BRANCH:
            qs = qs.exclude(kind=OrgKind.BRANCH)
    return qs.order_by("path").only("pk", "name", "path", "kind", "parent_id")


def org_transfer_targets(*, user, org: Organization) -> QuerySet[Organization]:
    """Active branches outside `org` that the user may change: where its members may go."""
    from zhibu.orgs.models import OrgKind, subtree_q

    qs = visible_to(
        user, Action.CHANGE, Organization.objects.filter(is_active=True, kind=OrgKind.BRANCH)
    ).exclude(subtree_q(org.path))
    return qs.order_by("path").only("pk", "name", "path", "kind", "parent_id")
