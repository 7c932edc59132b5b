"""Compliance pages: thin views over compliance.selectors; out of scope is 404."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from zhibu.compliance import selectors
from zhibu.compliance.exports import dashboard_workbook, header_row, table_cells
from zhibu.compliance.forms import PeriodForm, period_choices, period_label
from zhibu.core import periods
from zhibu.core.paging import page_of
from zhibu.orgs.permissions import Action, has_any, user_scope

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _period_form(request: HttpRequest, default_kind: str = "month"):
    today = periods.local_date()
    form = PeriodForm(request.GET or None, today=today, default_kind=default_kind)
    if request.GET:
        period, by, errors = form.resolved()
    else:
        period, by, errors = periods.containing(default_kind, today), "branch", {}
    choices = period_choices(today, period)
    value = "ytd" if period.kind == "ytd" else period.key
    return {
        "today": today,
        "everything": request.GET.get("all") == "1",
        "period": period,
        "period_value": value,
        "period_label": period_label(period),
        "period_choices": choices,
        "by": by,
        "form_errors": errors,
    }


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Sends each person to the view that fits their role."""
    user = request.user
    if has_any(user, Action.OVERSEE):
        roots = selectors.oversight_roots(user=user)
        if roots:
            return redirect("compliance:dashboard", pk=roots[0].pk)
    scope = user_scope(user)
    if has_any(user, Action.MANAGE_ORGLIFE):
        branch_id = next(
            (e.org_id for e in scope.entries if Action.MANAGE_ORGLIFE in e.actions), None
        )
        if branch_id is not None:
            return redirect("compliance:branch", pk=branch_id)
    if scope.member_id is not None:
        return redirect("compliance:mine")
    raise Http404


@login_required
def dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    """Oversight: the subtree's branches by rule family, patterns and the monthly trend."""
    org = selectors.org_for_oversight(user=request.user, pk=pk)
    ctx = _period_form(request)
    board = selectors.compliance_dashboard(
        user=request.user, org=org, period=ctx["period"], by=ctx["by"]
    )
    trend = selectors.compliance_trend(user=request.user, org=org, period=ctx["period"])
    ctx |= {
        "org": org,
        "board": board,
        "header": header_row(board),
        "table": list(zip(board.rows, table_cells(board), strict=True)),
        "trend": trend,
        "trend_data": {
            "labels": [p.label for p in trend],
            "green": [p.green for p in trend],
            "open": [p.open for p in trend],
            "yellow": [p.yellow for p in trend],
            "red": [p.red for p in trend],
            "share": [p.green_share for p in trend],
        },
    }
    template = "compliance/_board.html" if request.headers.get("HX-Request") else None
    return render(request, template or "compliance/dashboard.html", ctx)


@login_required
def dashboard_export(request: HttpRequest, pk: int) -> HttpResponse:
    org = selectors.org_for_oversight(user=request.user, pk=pk)
    ctx = _period_form(request)
    board = selectors.compliance_dashboard(
        user=request.user, org=org, period=ctx["period"], by=ctx["by"]
    )
    trend = selectors.compliance_trend(user=request.user, org=org, period=ctx["period"])
    response = HttpResponse(dashboard_workbook(board, trend), content_type=XLSX)
    filename = f"compliance-{org.pk}-{ctx['period_value']}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def rule_detail(request: HttpRequest, pk: int, rule_id: str) -> HttpResponse:
    """One rule across the subtree: exceptions first, then tree order; met rows on request."""
    org = selectors.org_for_oversight(user=request.user, pk=pk)
    ctx = _period_form(request)
    drill = selectors.rule_obligations(
        user=request.user,
        org=org,
        rule_id=rule_id,
        period=ctx["period"],
        today=ctx["today"],
        everything=ctx["everything"],
    )
    page = Paginator(drill.rows, 200).get_page(request.GET.get("page"))
    ctx |= {
        "org": org,
        "rule_id": rule_id,
        "rule": selectors.rule_catalog().get(rule_id),
        "rule_name": selectors.rule_name(rule_id),
        "page": page,
        "hidden": drill.hidden,
    }
    return render(request, "compliance/rule.html", ctx)


MEMBER_ROWS_PER_PAGE = 150


@login_required
def branch(request: HttpRequest, pk: int) -> HttpResponse:
    """The branch's rules right now (live), with what to do next; for its secretary or overseer.

    Exceptions first; met and not-applicable rules and member rows only with `?all=1`.
    """
    org = selectors.org_for_branch_view(user=request.user, pk=pk)
    ctx = _period_form(request, default_kind="month")
    now = timezone.now()
    items = selectors.branch_live_status(org=org, period=ctx["period"], now=now)
    today = periods.local_date(now)
    quick = [
        (kind, label, periods.containing(kind, today).key)
        for kind, label in (("month", "本月"), ("quarter", "本季度"), ("year", "本年"))
    ]
    org_items, org_hidden = selectors.exceptions_only(
        [i for i in items if i.member_id is None], ctx["everything"]
    )
    member_items, member_hidden = selectors.exceptions_only(
        [i for i in items if i.member_id is not None], ctx["everything"]
    )
    # Everything for a year is every member × rule: exceptions first, then a page at a time.
    member_items.sort(key=lambda i: i.quiet)
    member_page = page_of(request, member_items, per_page=MEMBER_ROWS_PER_PAGE)
    ctx |= {
        "org": org,
        "org_items": org_items,
        "member_items": member_page,
        "member_page": member_page,
        "hidden": org_hidden + member_hidden,
        "todo": [i for i in org_items if i.next_step],
        "now": now,
        "quick": quick,
        "can_oversee": _can_oversee(request.user, org),
    }
    return render(request, "compliance/branch.html", ctx)


def _can_oversee(user, org) -> bool:
    from zhibu.orgs.permissions import can

    return can(user, Action.OVERSEE, org)


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """The signed-in member's own obligations."""
    member_id = user_scope(request.user).member_id
    if member_id is None:
        raise Http404
    return _member_page(request, member_id, own=True)


@login_required
def member(request: HttpRequest, pk: int) -> HttpResponse:
    return _member_page(request, pk, own=False)


def _member_page(request: HttpRequest, pk: int, *, own: bool) -> HttpResponse:
    person = selectors.member_for_obligations(user=request.user, pk=pk)
    ctx = _period_form(request, default_kind="quarter")
    now = timezone.now()
    items, hidden = selectors.exceptions_only(
        selectors.branch_live_status(
            org=person.branch, period=ctx["period"], now=now, member_ids=[person.pk]
        ),
        ctx["everything"],
    )
    ctx |= {
        "person": person,
        "own": own,
        "items": items,
        "hidden": hidden,
        "makeups": selectors.open_makeups(member=person, today=periods.local_date(now)),
        "stored": selectors.member_obligations(
            user=request.user,
            member=person,
            period=ctx["period"],
            today=periods.local_date(now),
            everything=True,
        ).rows,
        "self_url": reverse("compliance:mine") if own else reverse("compliance:member", args=[pk]),
    }
    return render(request, "compliance/member.html", ctx)
