"""Roster import/export pages: upload a workbook, download the template or the roster. Thin."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from zhibu.members import roster
from zhibu.members.filtersets import MemberFilterSet
from zhibu.members.models import Member
from zhibu.members.selectors import member_list
from zhibu.orgs.models import Organization, OrgKind
from zhibu.orgs.permissions import Action, has_any, visible_to

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOWN_ERRORS = 500  # a wrong file can produce thousands; the first ones say what is wrong
TEMPLATE_BRANCHES = 1000


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label=_("名册文件（.xlsx）"),
        widget=forms.ClearableFileInput(attrs={"accept": f".xlsx,{XLSX}"}),
    )
    dry_run = forms.BooleanField(label=_("只检查，不导入"), required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > roster.MAX_BYTES:
            raise forms.ValidationError(
                _("文件超过 %(mb)d MB，请分成几个文件导入") % {"mb": roster.MAX_BYTES // 2**20}
            )
        return upload


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _require_change(request: HttpRequest) -> None:
    """Only accounts that may change some roster see these pages; for others they do not exist."""
    if not has_any(request.user, Action.CHANGE):
        raise Http404


@login_required
@require_http_methods(["GET", "POST"])
def roster_import(request: HttpRequest) -> HttpResponse:
    _require_change(request)
    result = None
    if request.method == "POST":
        form = RosterUploadForm(request.POST, request.FILES)
        if form.is_valid():
            result = roster.roster_import(
                actor=request.user,
                file=form.cleaned_data["file"],
                dry_run=form.cleaned_data["dry_run"],
            )
            if result.ok and not result.dry_run:
                form = RosterUploadForm()
    else:
        form = RosterUploadForm()
    context = {
        "form": form,
        "result": result,
        "errors": result.errors[:SHOWN_ERRORS] if result else [],
        "hidden_errors": max(0, len(result.errors) - SHOWN_ERRORS) if result else 0,
        "columns": roster.COLUMNS,
    }
    return render(request, "members/roster_import.html", context)


@login_required
def roster_template(request: HttpRequest) -> HttpResponse:
    _require_change(request)
    names = list(
        visible_to(
            request.user,
            Action.CHANGE,
            Organization.objects.filter(kind=OrgKind.BRANCH, is_active=True),
        )
        .order_by("path")
        .values_list("name", flat=True)[:TEMPLATE_BRANCHES]
    )
    return _xlsx(roster.roster_template(branch_names=names), "党员名册导入模板.xlsx")


@login_required
def roster_export(request: HttpRequest) -> HttpResponse:
    """The roster the user may see, filtered like the member list, in the import format."""
    data = request.GET.copy()
    data.setdefault("is_active", "true")
    filterset = MemberFilterSet(data, queryset=member_list(user=request.user), request=request)
    queryset = filterset.qs if filterset.is_valid() else Member.objects.none()
    return _xlsx(
        roster.roster_export(user=request.user, queryset=queryset),
        roster.roster_export_filename(),
    )
