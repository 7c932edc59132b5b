"""Filters of API-only lists (ids as plain numbers, so a filter never reveals what exists)."""

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhibu.core.params import IdFilter
from zhibu.members.models import CommitteePosition, CommitteeRole


class CommitteePositionFilterSet(django_filters.FilterSet):
    org = IdFilter(field_name="org_id", label=_("组织"))
    member = IdFilter(field_name="member_id", label=_("党员"))
    role = django_filters.ChoiceFilter(choices=CommitteeRole.choices, label=_("职务"))
    current = django_filters.BooleanFilter(method="only_current", label=_("仅现任"))

    class Meta:
        model = CommitteePosition
        fields = ["org", "member", "role", "current"]

    def only_current(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        today = timezone.localdate()
        current = Q(start__lte=today) & (Q(end__isnull=True) | Q(end__gte=today))
        return queryset.filter(current) if value else queryset.exclude(current)
