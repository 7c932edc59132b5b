"""Filters of the organizational-life API lists."""

from __future__ import annotations

from datetime import timedelta

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhibu.core import periods
from zhibu.core.params import YEAR_MAX, YEAR_MIN, BoundedNumberFilter, IdFilter
from zhibu.orglife.meeting_types import MeetingTypeCode
from zhibu.orglife.models import LeaveRequest, LeaveStatus, Makeup, Meeting, MeetingStatus, Plan
from zhibu.orgs.models import Organization, subtree_q


class MeetingFilterSet(django_filters.FilterSet):
    org = IdFilter(method="in_org", label=_("组织（含下级）"))
    meeting_type = django_filters.ChoiceFilter(choices=MeetingTypeCode.choices, label=_("类型"))
    status = django_filters.ChoiceFilter(choices=MeetingStatus.choices, label=_("状态"))
    is_late_entry = django_filters.BooleanFilter(label=_("补记"))
    start = django_filters.DateFilter(method="from_day", label=_("计划开始不早于（日期）"))
    end = django_filters.DateFilter(method="until_day", label=_("计划开始不晚于（日期）"))

    class Meta:
        model = Meeting
        fields = ["org", "meeting_type", "status", "is_late_entry", "start", "end"]

    def in_org(self, queryset, name, value):
        org = Organization.objects.filter(pk=value).only("path").first()
        if org is None:
            return queryset.none()
        return queryset.filter(subtree_q(org.path, "org__path"))

    def from_day(self, queryset, name, value):
        return queryset.filter(planned_start__gte=periods.local_midnight(value))

    def until_day(self, queryset, name, value):
        return queryset.filter(planned_start__lt=periods.local_midnight(value + timedelta(days=1)))


class LeaveFilterSet(django_filters.FilterSet):
    meeting = IdFilter(field_name="meeting_id", label=_("会议"))
    status = django_filters.ChoiceFilter(choices=LeaveStatus.choices, label=_("状态"))

    class Meta:
        model = LeaveRequest
        fields = ["meeting", "status"]


class MakeupFilterSet(django_filters.FilterSet):
    overdue = django_filters.BooleanFilter(method="only_overdue", label=_("仅逾期未完成"))
    done = django_filters.BooleanFilter(
        field_name="confirmed_at", lookup_expr="isnull", exclude=True, label=_("已完成")
    )
    member = IdFilter(field_name="member_id", label=_("党员"))

    class Meta:
        model = Makeup
        fields = ["overdue", "done", "member"]

    def only_overdue(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(confirmed_at__isnull=True, due_date__lt=timezone.localdate())


class PlanFilterSet(django_filters.FilterSet):
    org = IdFilter(field_name="org_id", label=_("组织"))
    year = BoundedNumberFilter(min_value=YEAR_MIN, max_value=YEAR_MAX, label=_("年度"))
    month = BoundedNumberFilter(min_value=1, max_value=12, label=_("月份"))

    class Meta:
        model = Plan
        fields = ["org", "year", "month"]
