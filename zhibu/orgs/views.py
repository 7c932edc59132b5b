"""Organization pages: the lazy tree and one organization's page. Thin: reads via selectors."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from zhibu.members.selectors import branch_roster, org_positions, with_personal
from zhibu.orgs.models import Organization, OrgKind
from zhibu.orgs.permissions import Action, can, get_or_404
from zhibu.orgs.selectors import (
    org_scope_roots,
    org_search,
    org_tree_children,
    org_visible_ancestors,
)
from zhibu.orgs.views_parameters import parameters_context


def _is_htmx_for(request: HttpRequest, target: str) -> bool:
    headers = request.headers
    return headers.get("HX-Request") == "true" and headers.get("HX-Target") == target


@login_required
def org_tree(request: HttpRequest) -> HttpResponse:
    """The user's subtrees; a single root opens one level so the page is never just one line."""
    user = request.user
    query = request.GET.get("q", "").strip()
    context: dict = {"q": query}
    if query:
        _filterset, rows = org_search(user=user, data=request.GET)
        context.update(search_results=rows, search_limit=50)
    else:
        roots = list(org_scope_roots(user=user)[:200])
        context["nodes"] = roots
        if len(roots) == 1 and roots[0].child_count:
            context["expanded_id"] = roots[0].pk
            context["expanded_children"] = list(org_tree_children(user=user, org=roots[0]))
    if _is_htmx_for(request, "org-results"):
        return render(request, "orgs/_tree_results.html", context)
    return render(request, "orgs/tree.html", context)


@login_required
def org_children(request: HttpRequest, pk: int) -> HttpResponse:
    """One level of the tree, fetched when a node is opened (htmx partial)."""
    org = get_or_404(request.user, Action.VIEW, Organization.objects.all(), pk=pk)
    nodes = org_tree_children(user=request.user, org=org)
    return render(request, "orgs/_tree_nodes.html", {"nodes": nodes})


@login_required
def org_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An organization: where it sits, who leads it, its party groups and members."""
    user = request.user
    org = get_or_404(user, Action.VIEW, Organization.objects.all(), pk=pk)
    children = list(org_tree_children(user=user, org=org))
    groups = [c for c in children if c.kind == OrgKind.PARTY_GROUP]
    positions = org_positions(user=user, orgs=[org, *groups])
    has_roster = org.kind in (OrgKind.BRANCH, OrgKind.PARTY_GROUP)
    roster = branch_roster(user=user, org=org) if has_roster else []

    by_group: dict[int, list] = {g.pk: [] for g in groups}
    ungrouped = []
    for member in roster:
        by_group.get(member.party_group_id, ungrouped).append(member)
    group_rows = [
        {
            "org": g,
            "leaders": [p for p in positions if p.org_id == g.pk],
            "members": by_group[g.pk],
        }
        for g in groups
    ]
    context = {
        "org": org,
        "ancestors": list(org_visible_ancestors(user=user, org=org)),
        "committee": [p for p in positions if p.org_id == org.pk],
        "children": [c for c in children if c.kind != OrgKind.PARTY_GROUP],
        "groups": group_rows,
        "ungrouped": ungrouped if groups else [],
        "has_roster": has_roster,
        "rows": with_personal(user, roster),
        "can_change": can(user, Action.CHANGE, org),
        **parameters_context(request, org),
    }
    return render(request, "orgs/detail.html", context)
