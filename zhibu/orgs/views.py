"""Organization pages: the lazy tree and one organization's page. Thin: reads via selectors."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from zhibu.members import services as member_services
from zhibu.members.selectors import branch_roster, org_positions, with_personal
from zhibu.orgs import services
from zhibu.orgs.forms import CHILD_KINDS, OrgCreateForm, OrgDissolveForm, OrgEditForm, OrgMoveForm
from zhibu.orgs.models import SEGMENT, Organization, OrgKind
from zhibu.orgs.permissions import Action, can, get_or_404, has_any
from zhibu.orgs.selectors import (
    org_events,
    org_move_targets,
    org_scope_roots,
    org_search,
    org_transfer_targets,
    org_tree_children,
    org_visible_ancestors,
)
from zhibu.orgs.views_parameters import parameters_context


def _parent_stub(org: Organization) -> Organization:
    """The parent as the permission layer needs it (id and path), read off the path: no query."""
    return Organization(pk=org.parent_id, path=org.path[:-SEGMENT])


def _is_htmx_for(request: HttpRequest, target: str) -> bool:
    headers = request.headers
    return headers.get("HX-Request") == "true" and headers.get("HX-Target") == target


@login_required
def org_tree(request: HttpRequest) -> HttpResponse:
    """The user's subtrees; a single root opens one level so the page is never just one line."""
    user = request.user
    query = request.GET.get("q", "").strip()
    context: dict = {"q": query, "can_change_any": has_any(user, Action.CHANGE)}
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
        "can_add_child": org.is_active
        and bool(CHILD_KINDS[org.kind])
        and can(user, Action.CHANGE, org),
        "can_dissolve": org.is_active
        and (
            user.is_superuser
            if org.parent_id is None
            else can(user, Action.CHANGE, _parent_stub(org))
        ),
    }
    return render(request, "orgs/detail.html", context)


# ---- changes to the tree: thin views over orgs.services (dissolve over members.services) ----


def _change_parent_or_404(user, org: Organization) -> None:
    """Creating under, or dissolving, needs CHANGE over the parent (the superuser at the top)."""
    if org.parent_id is None:
        if not user.is_superuser:
            raise Http404
    elif not can(user, Action.CHANGE, _parent_stub(org)):
        raise Http404


@login_required
@require_http_methods(["GET", "POST"])
def org_create_view(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Set up an organization under `pk` (or a top-level one, for the superuser)."""
    user = request.user
    parent = None
    if pk is not None:
        parent = get_or_404(user, Action.CHANGE, Organization.objects.all(), pk=pk)
    elif not user.is_superuser:
        raise Http404
    if parent is not None and not CHILD_KINDS[parent.kind]:
        raise Http404
    form = OrgCreateForm(request.POST or None, parent=parent)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            org = services.org_create(actor=user, parent=parent, **data)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("已设立“%(name)s”") % {"name": org.name})
            return redirect(org.get_absolute_url())
    return render(request, "orgs/create.html", {"parent": parent, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def org_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Rename an organization, change its category, founding date or fixed party day."""
    user = request.user
    org = get_or_404(user, Action.CHANGE, Organization.objects.filter(is_active=True), pk=pk)
    initial = {f: getattr(org, f) for f in services.UPDATABLE}
    form = OrgEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        note = data.pop("note")
        try:
            services.org_update(actor=user, org=org, note=note, **data)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("已保存“%(name)s”的信息") % {"name": data["name"]})
            return redirect(org.get_absolute_url())
    return render(request, "orgs/edit.html", {"org": org, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def org_move_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Put an organization (with everything under it) under another parent."""
    user = request.user
    org = get_or_404(user, Action.CHANGE, Organization.objects.filter(is_active=True), pk=pk)
    form = OrgMoveForm(request.POST or None, parents=org_move_targets(user=user, org=org))
    if request.method == "POST" and form.is_valid():
        try:
            services.org_move(
                actor=user,
                org=org,
                new_parent=form.cleaned_data["parent"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(
                request,
                _("已把“%(name)s”调整到“%(parent)s”之下")
                % {"name": org.name, "parent": form.cleaned_data["parent"].name},
            )
            return redirect(org.get_absolute_url())
    return render(request, "orgs/move.html", {"org": org, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def org_dissolve_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Dissolve an organization; a branch's members may be moved to another branch first."""
    user = request.user
    org = get_or_404(user, Action.VIEW, Organization.objects.filter(is_active=True), pk=pk)
    _change_parent_or_404(user, org)
    targets = org_transfer_targets(user=user, org=org) if org.kind == OrgKind.BRANCH else None
    form = OrgDissolveForm(request.POST or None, targets=targets)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            member_services.branch_dissolve(
                actor=user,
                org=org,
                on=data["on"],
                transfer_to=data.get("transfer_to"),
                note=data["note"],
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("已撤销“%(name)s”") % {"name": org.name})
            return redirect(org.get_absolute_url())
    context = {"org": org, "form": form, "member_count": org.members.filter(is_active=True).count()}
    return render(request, "orgs/dissolve.html", context)


@login_required
def org_history_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Every recorded change of an organization, newest first."""
    user = request.user
    org = get_or_404(user, Action.VIEW, Organization.objects.all(), pk=pk)
    events = list(org_events(user=user, org=org))
    return render(request, "orgs/history.html", {"org": org, "events": events})
