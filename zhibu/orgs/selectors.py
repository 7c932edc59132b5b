"""Reads of the organization tree; every one starts from the permission layer."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from zhibu.orgs.filtersets import OrganizationFilterSet
from zhibu.orgs.models import Grant, Organization, OrgKind, ParameterChange, subtree_q
from zhibu.orgs.parameters import PARAMETERS, Resolved, resolve, resolve_many
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


def parameters_for(orgs: Iterable[Organization]) -> dict[int, dict[str, Resolved]]:
    """The resolved parameters of many organizations: one query for them and all their
    ancestors (read afresh, so an instance loaded before a change does not mislead)."""
    orgs = list(orgs)
    ids = {pk for o in orgs for pk in o.ancestor_ids}
    chain = Organization.objects.filter(pk__in=ids).only("id", "path", "settings")
    resolved = resolve_many(chain)
    return {o.pk: resolved[o.pk] for o in orgs}


def parameters_of(org: Organization) -> dict[str, Resolved]:
    return parameters_for([org])[org.pk]


def parameter_value(org: Organization, key: str) -> Any:
    """One organization's effective value of a registry parameter (one query)."""
    return parameters_of(org)[key].value


def parameter_rows(org: Organization) -> list[dict]:
    """Each parameter of `org` as shown on its page and in the API: the effective value,
    where it comes from (the default and its source, or the organization that set it, when,
    by whom and why), the parent's value and the organization's own setting. Three queries."""
    chain = list(
        Organization.objects.filter(pk__in=org.ancestor_ids).only("id", "name", "path", "settings")
    )
    by_id = {o.pk: o for o in chain}
    here = by_id.get(org.pk, org)
    resolved = resolve_many(chain)
    mine = resolved[org.pk]
    inherited = resolved[org.parent_id] if org.parent_id in resolved else resolve(())
    setters = {r.org_id for r in mine.values() if r.org_id is not None} | {org.pk}
    latest: dict[tuple[int, str], ParameterChange] = {}
    changes = (
        ParameterChange.objects.filter(org_id__in=setters)
        .select_related("created_by")
        .order_by("created_at", "pk")
    )
    for change in changes:
        latest[(change.org_id, change.key)] = change
    own = here.settings or {}
    rows = []
    for key, p in PARAMETERS.items():
        r = mine[key]
        change = latest.get((r.org_id, key)) if r.org_id is not None else None
        rows.append(
            {
                "key": key,
                "parameter": p,
                "value": r.value,
                "display": p.display(r.value),
                "default": p.default,
                "source": p.source,
                "set_by": by_id[r.org_id] if r.org_id is not None else None,
                "loosened": r.loosened,
                "change": change,
                "inherited": inherited[key].value,
                "own": own.get(key),
                "own_ignored": r.ignored_org_id == org.pk,
            }
        )
    return rows


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


def grant_list(*, user, org: Organization | None = None) -> QuerySet[Grant]:
    """Grants over subtrees where the user may manage grants: who, where, by whom, since when."""
    queryset = visible_to(
        user, Action.MANAGE_GRANTS, Grant.objects.select_related("user", "org", "granted_by")
    )
    if org is not None:
        queryset = queryset.filter(subtree_q(org.path, "org__path"))
    return queryset.order_by("org__path", "role", "user__username")


def grant_orgs(*, user, limit: int = 300) -> list[Organization]:
    """Organizations over which the user may grant rights (for the grant form)."""
    return list(
        visible_to(
            user,
            Action.MANAGE_GRANTS,
            Organization.objects.filter(is_active=True).exclude(kind=OrgKind.PARTY_GROUP),
        ).order_by("path")[:limit]
    )


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
