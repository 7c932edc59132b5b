"""The committee page of an organization: posts, their history and term elections. Thin."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from zhibu.members import selectors, services
from zhibu.members.forms import ElectionForm, PositionAssignForm, PositionEndForm
from zhibu.members.models import CommitteePosition
from zhibu.orgs.models import Organization, OrgKind
from zhibu.orgs.permissions import Action, can, get_or_404


def _page(request, org, **forms) -> HttpResponse:
    user = request.user
    can_change = org.is_active and can(user, Action.CHANGE, org)
    elections = selectors.org_elections(user=user, org=org)
    history = selectors.committee_history(user=user, org=org)
    candidates = selectors.position_candidates(user=user, org=org) if can_change else None
    context = {
        "org": org,
        "can_change": can_change,
        "positions": history,
        "elections": elections,
        "term": selectors.term_status(elections[0] if elections else None),
        "assign_form": forms.get("assign_form")
        or (PositionAssignForm(org=org, candidates=candidates) if can_change else None),
        "election_form": forms.get("election_form")
        or (ElectionForm() if can_change and org.kind != OrgKind.PARTY_GROUP else None),
        "end_errors": forms.get("end_errors"),
        "end_form": PositionEndForm(),
    }
    return render(request, "members/committee.html", context, status=forms.get("status", 200))


def _org(request, pk: int, action: Action = Action.VIEW) -> Organization:
    return get_or_404(request.user, action, Organization.objects.all(), pk=pk)


def _back(org) -> HttpResponse:
    return redirect(reverse("members:committee", args=[org.pk]))


@login_required
def committee_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Who holds which post, since and until when, and the term elections."""
    return _page(request, _org(request, pk))


@login_required
@require_POST
def position_assign_view(request: HttpRequest, pk: int) -> HttpResponse:
    org = _org(request, pk, Action.CHANGE)
    form = PositionAssignForm(
        request.POST,
        org=org,
        candidates=selectors.position_candidates(user=request.user, org=org),
    )
    if form.is_valid():
        try:
            services.position_assign(actor=request.user, org=org, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(
                request,
                _("已任命 %(name)s 为%(role)s")
                % {
                    "name": form.cleaned_data["member"].name,
                    "role": dict(form.fields["role"].choices)[form.cleaned_data["role"]],
                },
            )
            return _back(org)
    return _page(request, org, assign_form=form, status=400)


@login_required
@require_POST
def position_end_view(request: HttpRequest, pk: int, position_pk: int) -> HttpResponse:
    org = _org(request, pk, Action.CHANGE)
    position = get_or_404(
        request.user,
        Action.CHANGE,
        CommitteePosition.objects.filter(org=org).select_related("member", "org"),
        pk=position_pk,
    )
    form = PositionEndForm(request.POST)
    if form.is_valid():
        try:
            services.position_end(
                actor=request.user, position=position, end=form.cleaned_data["end"]
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("%(name)s 已离任") % {"name": position.member.name})
            return _back(org)
    errors = [e for errs in form.errors.values() for e in errs]
    return _page(request, org, end_errors={position.pk: errors}, status=400)


@login_required
@require_http_methods(["POST"])
def election_view(request: HttpRequest, pk: int) -> HttpResponse:
    org = _org(request, pk, Action.CHANGE)
    form = ElectionForm(request.POST)
    if form.is_valid():
        try:
            services.election_record(actor=request.user, org=org, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("已登记换届选举"))
            return _back(org)
    return _page(request, org, election_form=form, status=400)
