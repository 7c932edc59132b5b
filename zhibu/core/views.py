"""The home page: where the user stands (organizations and roles) and where to go next."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from zhibu.members.models import CommitteeRole
from zhibu.orgs.models import GrantRole
from zhibu.orgs.permissions import Action, has_any, user_scope
from zhibu.orgs.selectors import org_list, org_scope_roots

ROLE_LABELS = {**dict(GrantRole.choices), **dict(CommitteeRole.choices), "member": _("党员")}


def my_roles(user) -> list[dict]:
    """The user's roles grouped by organization, read off the permission scope (one query)."""
    entries = user_scope(user).entries
    orgs = {
        o.pk: o
        for o in org_list(user=user)
        .filter(pk__in={e.org_id for e in entries})
        .only("pk", "name", "kind", "path")
    }
    grouped: dict[int, dict] = {}
    for entry in entries:
        org = orgs.get(entry.org_id)
        if org is None:
            continue
        row = grouped.setdefault(org.pk, {"org": org, "roles": []})
        label = ROLE_LABELS.get(entry.role, entry.role)
        if label not in row["roles"]:
            row["roles"].append(label)
    return sorted(grouped.values(), key=lambda r: r["org"].path)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    scope = user_scope(user)
    context = {
        "roles": my_roles(user),
        "roots": list(org_scope_roots(user=user)[:50]),
        "my_member_id": scope.member_id,
        "can_change": has_any(user, Action.CHANGE),
    }
    return render(request, "core/home.html", context)
