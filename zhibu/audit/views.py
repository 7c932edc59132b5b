"""The audit log page and its Excel export. Thin: audit.selectors reads."""

from __future__ import annotations

from io import BytesIO

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook

from zhibu.audit import selectors, services
from zhibu.audit.models import AuditAction
from zhibu.core.paging import page_of
from zhibu.core.xlsx import defuse

EXPORT_LIMIT = 20000
DATE = forms.DateInput(attrs={"type": "date"})


class AuditFilter(forms.Form):
    action = forms.ChoiceField(
        label=gettext_lazy("操作"),
        required=False,
        choices=[("", gettext_lazy("全部"))] + list(AuditAction.choices),
    )
    since = forms.DateField(label=gettext_lazy("起始日期"), required=False, widget=DATE)
    until = forms.DateField(label=gettext_lazy("截止日期"), required=False, widget=DATE)


def _rows(request: HttpRequest):
    if not selectors.may_read(request.user):
        raise Http404
    form = AuditFilter(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = selectors.audit_events(
        user=request.user,
        action=filters.get("action", ""),
        since=filters.get("since"),
        until=filters.get("until"),
    )
    return form, rows


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    form, rows = _rows(request)
    page = page_of(request, rows)
    return render(request, "audit/list.html", {"form": form, "page": page})


@login_required
def audit_export(request: HttpRequest) -> HttpResponse:
    form, rows = _rows(request)
    wb = Workbook(write_only=False)
    ws = wb.active
    ws.title = _("审计日志")
    ws.append([_("时间"), _("操作人"), _("操作"), _("对象"), _("来源地址"), _("详情")])
    count = 0
    for e in rows[:EXPORT_LIMIT]:
        count += 1
        ws.append(
            [
                timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"),
                e.actor_name,
                str(e.get_action_display()),
                e.target_label,
                e.address,
                ", ".join(f"{k}: {v}" for k, v in e.details.items()),
            ]
        )
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            defuse(cell)
    services.record(request.user, AuditAction.AUDIT_EXPORT, org_path="", rows=count)
    out = BytesIO()
    wb.save(out)
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"audit-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
