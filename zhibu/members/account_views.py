"""Account pages: create a branch's (or subtree's) login accounts, print the slips, reset a
password. Thin: selectors read, members.account_services write."""

from __future__ import annotations

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from openpyxl import Workbook
from openpyxl.styles import Font

from zhibu.members import selectors
from zhibu.members.account_services import account_password_reset, accounts_create
from zhibu.members.models import Member
from zhibu.orgs.models import Organization
from zhibu.orgs.permissions import Action, get_or_404, has_any

# The one-time passwords live in the session only until the slips are printed or discarded.
SLIPS_KEY = "zhibu_account_slips"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_change(request: HttpRequest) -> None:
    if not has_any(request.user, Action.CHANGE):
        raise Http404


@login_required
def account_list(request: HttpRequest) -> HttpResponse:
    """Who of an organization's roster has a login; create the missing ones in one go."""
    _require_change(request)
    user = request.user
    orgs = selectors.account_orgs(user=user)
    org_id = request.GET.get("org") or request.POST.get("org") or ""
    org = None
    if org_id.isdigit():
        org = get_or_404(user, Action.CHANGE, Organization.objects.all(), pk=int(org_id))
    elif orgs:
        org = orgs[0]
    if request.method == "POST" and org is not None:
        try:
            batch = accounts_create(actor=user, org=org)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            request.session[SLIPS_KEY] = [s.as_dict() for s in batch.slips]
            for name, why in batch.skipped:
                messages.warning(
                    request, _("%(name)s 未创建账号：%(why)s") % {"name": name, "why": why}
                )
            if batch.slips:
                messages.success(request, _("已创建 %(n)d 个账号") % {"n": len(batch.slips)})
                return redirect("members:account-slips")
            messages.info(request, _("没有需要创建账号的党员"))
        return redirect(f"{request.path}?org={org.pk}")
    rows = list(selectors.account_roster(user=user, org=org)) if org is not None else []
    context = {
        "orgs": orgs,
        "org": org,
        "rows": rows,
        "missing": sum(1 for m in rows if m.user_id is None and m.phone),
        "no_phone": sum(1 for m in rows if m.user_id is None and not m.phone),
        "has_slips": bool(request.session.get(SLIPS_KEY)),
    }
    return render(request, "members/accounts.html", context)


@login_required
@require_POST
def account_reset(request: HttpRequest, pk: int) -> HttpResponse:
    """A new one-time password for one member's account; out of CHANGE scope is 404."""
    member = get_or_404(request.user, Action.CHANGE, Member.objects.all(), pk=pk)
    try:
        slip = account_password_reset(actor=request.user, member=member)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(f"{reverse('members:accounts')}?org={member.branch_id}")
    request.session[SLIPS_KEY] = [slip.as_dict()]
    messages.success(request, _("已重置 %(name)s 的密码") % {"name": member.name})
    return redirect("members:account-slips")


@login_required
def account_slips(request: HttpRequest) -> HttpResponse:
    """The printable slips of the last batch; POST discards them (the passwords are gone)."""
    _require_change(request)
    if request.method == "POST":
        request.session.pop(SLIPS_KEY, None)
        messages.info(request, _("初始密码已从系统中清除"))
        return redirect("members:accounts")
    slips = request.session.get(SLIPS_KEY) or []
    return render(request, "members/account_slips.html", {"slips": slips})


@login_required
def account_slips_xlsx(request: HttpRequest) -> HttpResponse:
    """The same slips as a workbook, for a mail merge or a printed list."""
    _require_change(request)
    slips = request.session.get(SLIPS_KEY) or []
    if not slips:
        raise Http404
    wb = Workbook()
    ws = wb.active
    ws.title = _("账号")
    ws.append([_("姓名"), _("所在支部"), _("登录账号"), _("初始密码"), _("说明")])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    hint = _("首次登录须修改密码")
    for slip in slips:
        ws.append([slip["name"], slip["branch"], slip["username"], slip["password"], hint])
        for cell in ws[ws.max_row][2:4]:
            cell.number_format = "@"
    for letter, width in zip("ABCDE", (10, 20, 16, 12, 20), strict=True):
        ws.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    wb.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    filename = f"账号-{timezone.localdate().isoformat()}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
