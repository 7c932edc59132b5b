"""Member pages: the filterable list, one member's record and its edit form. Thin views."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from zhibu.members import selectors
from zhibu.members.filtersets import MemberFilterSet
from zhibu.members.forms import MemberConvertForm, MemberCreateForm, MemberEndForm, MemberForm
from zhibu.members.models import Education, Gender, Member, MemberStatus
from zhibu.members.services import member_convert, member_create, member_end, member_update
from zhibu.members.validators import member_warnings
from zhibu.orgs.models import Organization
from zhibu.orgs.permissions import Action, can, get_or_404, has_any, visible_to

PAGE_SIZE = 30


def _is_htmx_for(request: HttpRequest, target: str) -> bool:
    headers = request.headers
    return headers.get("HX-Request") == "true" and headers.get("HX-Target") == target


@login_required
def member_list(request: HttpRequest) -> HttpResponse:
    """The roster the user may see, filtered by the shared MemberFilterSet."""
    user = request.user
    data = request.GET.copy()
    data.setdefault("is_active", "true")  # 在册 by default; "unknown" shows everyone
    filterset = MemberFilterSet(data, queryset=selectors.member_list(user=user), request=request)
    queryset = filterset.qs if filterset.is_valid() else Member.objects.none()
    # Pinyin order (李 before 王 before 张), from the stored reading: one query per page.
    queryset = queryset.order_by("name_pinyin", "name", "pk")
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filterset": filterset,
        "data": data,
        "page": page,
        "rows": selectors.with_personal(user, page.object_list),
    }
    if _is_htmx_for(request, "member-results"):
        return render(request, "members/_list_results.html", context)
    org_id = data.get("org", "")
    context.update(
        branches=selectors.member_filter_branches(user=user),
        scope_org=(
            visible_to(user, Action.VIEW, Organization.objects.filter(pk=org_id)).first()
            if org_id.isdigit()
            else None
        ),
        status_choices=MemberStatus.choices,
        gender_choices=Gender.choices,
        education_choices=Education.choices,
    )
    return render(request, "members/list.html", context)


@login_required
def member_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One member's roster record; ID number and phone masked unless VIEW_PERSONAL."""
    user = request.user
    member = get_or_404(
        user, Action.VIEW, Member.objects.select_related("branch", "party_group", "user"), pk=pk
    )
    context = {
        "member": member,
        "personal": selectors.personal_fields(user, member),
        "unmasked": can(user, Action.VIEW_PERSONAL, member),
        "tenures": selectors.member_tenures(user=user, member=member),
        "positions": selectors.member_positions(user=user, member=member),
        "can_change": can(user, Action.CHANGE, member),
    }
    return render(request, "members/detail.html", context)


@login_required
def member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct roster fields through member_update; out of CHANGE scope is 404."""
    user = request.user
    member = get_or_404(
        user, Action.CHANGE, Member.objects.select_related("branch", "party_group"), pk=pk
    )
    # The form validates on a copy, so a rejected save leaves `member` untouched for the service.
    form = MemberForm(request.POST or None, instance=copy.copy(member), user=user)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            member_update(actor=user, member=member, **changes)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("已保存 %(name)s 的信息") % {"name": member.name})
            for warning in member_warnings(member) if "id_number" in changes else []:
                messages.warning(request, warning)
            return redirect(member.get_absolute_url())
    return render(request, "members/edit.html", {"member": member, "form": form})


@login_required
def member_new(request: HttpRequest) -> HttpResponse:
    """Add one member to a branch the user may change, through member_create (same checks as
    the roster import); for whoever may change no roster the page does not exist."""
    user = request.user
    if not has_any(user, Action.CHANGE):
        raise Http404
    branch_id = request.GET.get("branch", "")
    branch = (
        selectors.member_create_branches(user=user).filter(pk=branch_id).first()
        if branch_id.isdigit()
        else None
    )
    form = MemberCreateForm(request.POST or None, instance=Member(), user=user, branch=branch)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in MemberForm.Meta.fields}
        fields = {k: v for k, v in fields.items() if v not in (None, "") or k == "party_group"}
        try:
            member = member_create(
                actor=user,
                branch=form.cleaned_data["branch"],
                since=form.cleaned_data.get("since"),
                **fields,
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("已添加党员 %(name)s") % {"name": member.name})
            for warning in member_warnings(member):
                messages.warning(request, warning)
            return redirect(member.get_absolute_url())
    return render(request, "members/new.html", {"form": form, "branch": branch})


@login_required
def member_status(request: HttpRequest, pk: int) -> HttpResponse:
    """党籍状态: the member's status with its dates and history; 转正 and 党员减少 (去世、停止党籍、
    出党、转出本系统) through members.services. Out of CHANGE scope is 404."""
    user = request.user
    member = get_or_404(
        user, Action.CHANGE, Member.objects.select_related("branch", "party_group"), pk=pk
    )
    convert_form = MemberConvertForm(prefix="convert")
    end_form = MemberEndForm(prefix="end")
    if request.method == "POST":
        action = request.POST.get("action")
        form = (
            MemberConvertForm(request.POST, prefix="convert")
            if action == "convert"
            else MemberEndForm(request.POST, prefix="end")
        )
        if action == "convert":
            convert_form = form
        else:
            end_form = form
        if form.is_valid():
            try:
                if action == "convert":
                    member_convert(actor=user, member=member, on=form.cleaned_data["on"])
                    done = _("%(name)s 已转为正式党员")
                else:
                    member_end(actor=user, member=member, **form.cleaned_data)
                    done = _("%(name)s 已不在册，历史记录已保留")
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, done % {"name": member.name})
                return redirect("members:status", pk=member.pk)
    context = {
        "member": member,
        "tenures": selectors.member_tenures(user=user, member=member),
        "convert_form": convert_form,
        "end_form": end_form,
    }
    return render(request, "members/status.html", context)
