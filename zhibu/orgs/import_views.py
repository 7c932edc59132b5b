"""The organization structure import page and its template download. Thin."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods

from zhibu.core.workbook import XLSX
from zhibu.orgs import structure
from zhibu.orgs.forms import OrgImportForm
from zhibu.orgs.models import Organization, OrgKind
from zhibu.orgs.permissions import Action, has_any, visible_to

SHOWN_ERRORS = 500
TEMPLATE_PARENTS = 1000


def _require_change(request: HttpRequest) -> None:
    """Only accounts that may change some organization see these pages."""
    if not has_any(request.user, Action.CHANGE):
        raise Http404


@login_required
@require_http_methods(["GET", "POST"])
def org_import_view(request: HttpRequest) -> HttpResponse:
    _require_change(request)
    result = None
    form = OrgImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        result = structure.structure_import(
            actor=request.user,
            file=form.cleaned_data["file"],
            dry_run=form.cleaned_data["dry_run"],
        )
        if result.ok and not result.dry_run:
            form = OrgImportForm()
    context = {
        "form": form,
        "result": result,
        "errors": result.errors[:SHOWN_ERRORS] if result else [],
        "hidden_errors": max(0, len(result.errors) - SHOWN_ERRORS) if result else 0,
        "columns": structure.COLUMNS,
    }
    return render(request, "orgs/import.html", context)


@login_required
def org_template_view(request: HttpRequest) -> HttpResponse:
    _require_change(request)
    names = list(
        visible_to(
            request.user,
            Action.CHANGE,
            Organization.objects.filter(is_active=True).exclude(kind=OrgKind.PARTY_GROUP),
        )
        .order_by("path")
        .values_list("name", flat=True)[:TEMPLATE_PARENTS]
    )
    response = HttpResponse(structure.structure_template(parent_names=names), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, "组织架构导入模板.xlsx")
    return response
