"""One FilterSet per list, shared by the page, its htmx partial, the API and the export."""

import django_filters
from django.utils.translation import gettext_lazy as _

from zhibu.core.params import IdFilter
from zhibu.orgs.models import Organization, OrgCategory, OrgKind


class OrganizationFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("名称"))
    kind = django_filters.ChoiceFilter(choices=OrgKind.choices, label=_("类型"))
    category = django_filters.ChoiceFilter(choices=OrgCategory.choices, label=_("单位类别"))
    parent = IdFilter(field_name="parent_id", label=_("上级组织"))

    class Meta:
        model = Organization
        fields = ["q", "kind", "category", "parent"]
