"""The "组织生活参数" section of an organization's page: every parameter of organizational
life with its effective value and where it comes from, and the form that sets it through
orgs.services.parameter_set. Kept apart from orgs.views so the page itself stays small."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from zhibu.orgs.models import Organization
from zhibu.orgs.parameters import PARAMETERS
from zhibu.orgs.permissions import Action, can, get_or_404
from zhibu.orgs.selectors import parameter_rows
from zhibu.orgs.services import parameter_set


class ParameterForm(forms.Form):
    key = forms.ChoiceField(choices=[(k, p.label) for k, p in PARAMETERS.items()])
    value = forms.CharField(label=gettext_lazy("设置值"), required=False, max_length=20)
    reason = forms.CharField(label=gettext_lazy("理由"), required=False, max_length=500)
    clear = forms.BooleanField(required=False)  # "恢复为上级设置": remove this org's setting


def parameters_context(request: HttpRequest, org: Organization) -> dict:
    """What the section needs on the organization page; `?p=<key>` (after a change) opens
    that parameter and shows the outcome next to it."""
    return {
        "parameter_rows": parameter_rows(org),
        "can_set_parameters": can(request.user, Action.CHANGE, org),
        "parameter_focus": request.GET.get("p", ""),
    }


@login_required
@require_POST
def org_parameter_set(request: HttpRequest, pk: int) -> HttpResponse:
    """Set or clear one parameter for the organization's subtree, then back to the section."""
    org = get_or_404(request.user, Action.CHANGE, Organization.objects.all(), pk=pk)
    form = ParameterForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("参数设置不完整，请检查后重试"))
        return redirect(f"{org.get_absolute_url()}#parameters")
    data = form.cleaned_data
    back = redirect(f"{org.get_absolute_url()}?p={data['key']}#parameter-{data['key']}")
    label = PARAMETERS[data["key"]].label
    try:
        change = parameter_set(
            actor=request.user,
            org=org,
            key=data["key"],
            value=None if data["clear"] else data["value"],
            reason=data["reason"],
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return back
    if change is None:
        messages.info(request, _("“%(label)s”没有变化") % {"label": label})
    elif change.value is None:
        messages.success(request, _("“%(label)s”已恢复为上级设置") % {"label": label})
    else:
        messages.success(request, _("“%(label)s”已保存") % {"label": label})
    return back
