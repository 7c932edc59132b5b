"""The obligation list's filters, shared by the API (and usable by any page or export)."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError

from zhibu.compliance.lights import Light
from zhibu.compliance.models import Obligation, displayed_q, light_q, stale_q
from zhibu.compliance.selectors import FAMILIES, period_q
from zhibu.compliance.verdicts import Pattern, Status
from zhibu.core import periods
from zhibu.core.params import IdFilter
from zhibu.orgs.models import Organization, subtree_q


class ObligationFilterSet(django_filters.FilterSet):
    org = IdFilter(method="filter_org", label=_("组织（含下级）"))
    period = django_filters.CharFilter(method="filter_period", label=_("期间"))
    status = django_filters.ChoiceFilter(
        choices=Status.choices, method="filter_status", label=_("状态")
    )
    light = django_filters.ChoiceFilter(
        choices=Light.choices, method="filter_light", label=_("信号灯")
    )
    family = django_filters.ChoiceFilter(
        choices=[(k, v) for k, v in FAMILIES.items()], label=_("规则类别")
    )
    pattern = django_filters.ChoiceFilter(choices=Pattern.choices, label=_("问题类型"))
    rule = django_filters.CharFilter(field_name="rule_id", label=_("规则"))
    member = IdFilter(field_name="member_id", label=_("党员"))
    subject = django_filters.ChoiceFilter(
        method="filter_subject",
        choices=[("branch", _("组织")), ("member", _("党员"))],
        label=_("对象"),
    )

    class Meta:
        model = Obligation
        fields = [
            "org",
            "period",
            "status",
            "light",
            "family",
            "pattern",
            "rule",
            "member",
            "subject",
        ]

    def filter_org(self, queryset: QuerySet, name: str, value) -> QuerySet:
        """Everything under organization `value`; an unknown or invisible id gives no rows."""
        path = Organization.objects.filter(pk=value).values_list("path", flat=True).first()
        if path is None:
            return queryset.none()
        return queryset.filter(subtree_q(path, "org__path"))

    def filter_period(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        try:
            period = periods.parse(value)
        except ValueError as exc:
            raise ValidationError({"period": [str(exc)]}) from None
        return queryset.filter(period_q(period))

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """By the displayed status, as pages count it (derived from the stored one and today)."""
        return queryset.filter(displayed_q(value, stale_q(periods.local_date())))

    def filter_light(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(light_q(value, stale_q(periods.local_date())))

    def filter_subject(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(member__isnull=value != "member")
