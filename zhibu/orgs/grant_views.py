"""The grants page: who administers or views which subtree, granted by whom and when.
Thin: orgs.selectors reads, orgs.services.grant_create / grant_delete write."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from zhibu.core.text import normalize_digits
from zhibu.orgs.models import Grant, GrantRole, Organization
from zhibu.orgs.permissions import Action, forget_scope, get_or_404, has_any
from zhibu.orgs.selectors import grant_list, grant_orgs
from zhibu.orgs.services import grant_create, grant_delete

NO_SUCH_ACCOUNT = gettext_lazy("找不到用户名或手机号为“{login}”的账号，请先为其创建账号")


class GrantForm(forms.Form):
    login = forms.CharField(label=gettext_lazy("账号（用户名或手机号）"), max_length=150)
    org = forms.ModelChoiceField(
        queryset=Organization.objects.none(), label=gettext_lazy("组织（含下级）")
    )
    role = forms.ChoiceField(label=gettext_lazy("角色"), choices=GrantRole.choices)
    personal_data = forms.BooleanField(
        label=gettext_lazy("可查看身份证号和手机号"), required=False, initial=True
    )

    def __init__(self, *args, orgs: list[Organization], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = Organization.objects.filter(pk__in=[o.pk for o in orgs])

    def clean_login(self):
        login = normalize_digits(self.cleaned_data["login"].strip())
        user = (
            get_user_model()
            .objects.filter(Q(username=login) | Q(phone=login), is_active=True)
            .first()
        )
        if user is None:
            raise forms.ValidationError(NO_SUCH_ACCOUNT.format(login=login))
        return user


def _require_grants(request: HttpRequest) -> None:
    if not has_any(request.user, Action.MANAGE_GRANTS):
        raise Http404


@login_required
def grant_page(request: HttpRequest) -> HttpResponse:
    _require_grants(request)
    user = request.user
    orgs = grant_orgs(user=user)
    form = GrantForm(request.POST or None, orgs=orgs)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            grant = grant_create(
                actor=user,
                user=data["login"],
                org=data["org"],
                role=data["role"],
                personal_data=data["personal_data"],
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("已授权：%(grant)s") % {"grant": grant})
            return redirect("orgs:grants")
    context = {"form": form, "grants": list(grant_list(user=user))}
    return render(request, "orgs/grants.html", context)


@login_required
@require_POST
def grant_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    grant = get_or_404(
        request.user, Action.MANAGE_GRANTS, Grant.objects.select_related("user", "org"), pk=pk
    )
    try:
        grant_delete(actor=request.user, grant=grant)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        forget_scope(request.user)
        messages.success(request, _("已撤销：%(grant)s") % {"grant": grant})
    return redirect("orgs:grants")
