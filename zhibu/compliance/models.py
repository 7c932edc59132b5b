"""Persisted results of the compliance engine.

Status is a pure function of stored facts and `now`; these rows exist so that dashboards over
thousands of branches are one indexed query, and so that every change of status is written
once (StatusChange, the outbox the notify worker consumes — healthchecks' Flip pattern).

The status a page shows is derived when read (`display_status`, healthchecks'
`Check.get_status`): a row stored `at_risk` or `open` whose period has ended shows `not_met`
even before the worker re-evaluates it. `displayed_q`, `light_q` and the `*_sql` expressions
are its SQL twins, generated from the same Python functions so a grouped query can aggregate
what the page shows.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from functools import reduce

from django.conf import settings
from django.db import models
from django.db.models import Case, CharField, F, IntegerField, Q, Value, When
from django.utils.translation import gettext_lazy as _

from zhibu.compliance import lights
from zhibu.compliance.verdicts import Pattern, Severity, Status
from zhibu.core import periods
from zhibu.members.models import Member
from zhibu.orgs.models import Organization

# Statuses that cannot outlive their period: once it has ended they read as not_met.
STALE = (Status.AT_RISK, Status.OPEN)


def display_status(status: str, period_last: date, today: date, final: bool = False) -> str:
    """The status a page shows for a stored one: an at_risk/open row judged while its period
    was still running reads not_met once the period has ended, before the worker re-judges it.
    A row judged after its period ended (`final`) stands as judged: an unconfirmed record of a
    closed month may still be completed, and the kinds say at_risk then, on purpose."""
    if status in STALE and period_last < today and not final:
        return Status.NOT_MET
    return status


def stale_q(today: date, keys: Iterable[str] | None = None) -> Q:
    """Rows whose period has ended by `today` (local date) and that were judged before it ended.

    Given `keys` (the period keys a query is already restricted to), the test is stated on
    `period_key`, so a query the (org, period_key, …) index covers stays index-only.
    """
    if keys is None:
        return Q(period_last__lt=today, final=False)
    return Q(period_key__in=[k for k in keys if periods.parse(k).last < today], final=False)


def displayed_q(status: str, ended: Q) -> Q:
    """Rows whose displayed status is `status` (the SQL twin of `display_status`)."""
    if status == Status.NOT_MET:
        return Q(status=Status.NOT_MET) | (Q(status__in=STALE) & ended)
    if status in STALE:
        return Q(status=status) & ~ended
    return Q(status=status)


def display_status_sql(ended: Q, running: Q | None = None) -> Case:
    """The displayed status as a column, e.g. to GROUP BY; just `status` when nothing ended.

    `running`: in the view of an ended period, the rows of a longer period containing it
    that is still running (the half-year of a closed month); their at_risk says nothing about
    the closed period, so it reads open there."""
    whens = [When(Q(status__in=STALE) & ended, then=Value(Status.NOT_MET.value))]
    if running is not None:
        whens.append(When(Q(status=Status.AT_RISK) & running, then=Value(Status.OPEN.value)))
    return Case(*whens, default=F("status"), output_field=CharField())


def _by_severities(key) -> dict:
    """{key(status, severity): {status: [severities]}} over every status × severity."""
    out: dict = defaultdict(lambda: defaultdict(list))
    for status in Status:
        for severity in Severity:
            out[key(status, severity)][status].append(severity.value)
    return out


def _table_q(groups: dict, ended: Q) -> Q:
    return reduce(
        operator.or_,
        (displayed_q(s, ended) & Q(severity__in=sevs) for s, sevs in groups.items()),
    )


def light_q(light: str, ended: Q) -> Q:
    """Rows whose light (lights.light of displayed status and severity) is `light`."""
    return _table_q(_by_severities(lights.light)[light], ended)


def light_sql(ended: Q) -> Case:
    """The light as a column."""
    return Case(
        *[
            When(_table_q(g, ended), then=Value(str(k)))
            for k, g in _by_severities(lights.light).items()
        ],
        output_field=CharField(),
    )


def exception_rank_sql(ended: Q) -> Case:
    """lights.exception_rank as a column, to list exceptions first."""
    return Case(
        *[
            When(_table_q(g, ended), then=Value(k))
            for k, g in sorted(_by_severities(lights.exception_rank).items())
        ],
        output_field=IntegerField(),
    )


class Obligation(models.Model):
    """The current status of one rule for one subject (a branch, or a member) in one period."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="obligations")
    member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.CASCADE, related_name="obligations"
    )
    rule_id = models.CharField(_("规则"), max_length=64)
    family = models.CharField(_("规则类别"), max_length=32)
    period_key = models.CharField(_("期间"), max_length=24)  # "2026-10", "2026Q3", "2026H2", "2026"
    period_first = models.DateField()
    period_last = models.DateField()  # the deadline
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices)
    pattern = models.CharField(
        _("问题类型"), max_length=20, choices=Pattern.choices, blank=True, default=""
    )
    severity = models.CharField(_("严重程度"), max_length=10, choices=Severity.choices)
    explanation = models.TextField(_("说明"))
    numbers = models.JSONField(default=dict)
    evaluated_at = models.DateTimeField()
    # Judged after its period ended: the status is final, not one a page must re-derive.
    final = models.BooleanField(default=False)

    scope_path = "org__path"
    scope_owner = "member"

    class Meta:
        verbose_name = _("义务")
        constraints = [
            models.UniqueConstraint(
                fields=["org", "rule_id", "period_key"],
                condition=Q(member__isnull=True),
                name="obligation_org_unique",
            ),
            models.UniqueConstraint(
                fields=["member", "rule_id", "period_key"],
                condition=Q(member__isnull=False),
                name="obligation_member_unique",
            ),
        ]
        indexes = [
            # Covers the oversight dashboard's aggregate (filter on org and period_key, group
            # by rule, family, displayed status — derived from status and period_key —,
            # pattern and severity, max(evaluated_at)): an index-only scan on PostgreSQL. Key
            # columns, not INCLUDE, so SQLite and MariaDB build it too (MariaDB/utf8mb4:
            # ~690 of the 3,072 bytes a key may hold).
            models.Index(
                fields=[
                    "org",
                    "period_key",
                    "rule_id",
                    "family",
                    "status",
                    "pattern",
                    "severity",
                    "final",
                    "evaluated_at",
                ],
                name="obligation_dashboard_idx",
            ),
            models.Index(fields=["period_key", "status"]),
            models.Index(fields=["member", "period_key"]),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}@{self.period_key}:{self.status}"

    def get_scope_path(self) -> str:
        return self.org.path

    def display_status(self, today: date) -> str:
        """What a page shows today (see `display_status`)."""
        return display_status(self.status, self.period_last, today, self.final)

    def light(self, today: date) -> str:
        return lights.light(self.display_status(today), self.severity)


class StatusChange(models.Model):
    """A change of an obligation's status, written once; `processed_at` is set by notify."""

    obligation = models.ForeignKey(Obligation, on_delete=models.CASCADE, related_name="changes")
    old_status = models.CharField(max_length=16, blank=True, default="")
    new_status = models.CharField(max_length=16)
    at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)

    scope_path = "obligation__org__path"

    class Meta:
        indexes = [models.Index(fields=["processed_at", "at"])]

    def __str__(self) -> str:
        return f"{self.obligation_id}: {self.old_status}→{self.new_status}"

    def get_scope_path(self) -> str:
        return self.obligation.org.path


class RuleOverride(models.Model):
    """An ancestor's change to a rule for its whole subtree.

    Stricter is always allowed; loosening a rule needs `loosens=True` and is shown as such.
    """

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="rule_overrides")
    rule_id = models.CharField(_("规则"), max_length=64)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    severity = models.CharField(
        _("严重程度"), max_length=10, choices=Severity.choices, blank=True, default=""
    )
    enabled = models.BooleanField(_("启用"), default=True)
    loosens = models.BooleanField(_("放宽要求"), default=False)
    reason = models.CharField(_("理由"), max_length=500, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    scope_path = "org__path"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "rule_id"], name="override_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.org_id}:{self.rule_id}"

    def get_scope_path(self) -> str:
        return self.org.path
