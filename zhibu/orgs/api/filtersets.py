"""Filters of API-only lists (ids as plain numbers, so a filter never reveals what exists)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from zhibu.core.params import IdFilter
from zhibu.orgs.models import Grant, GrantRole


class GrantFilterSet(django_filters.FilterSet):
    org = IdFilter(field_name="org_id", label=_("组织"))
    user = IdFilter(field_name="user_id", label=_("账号"))
    role = django_filters.ChoiceFilter(choices=GrantRole.choices, label=_("角色"))

    class Meta:
        model = Grant
        fields = ["org", "user", "role"]
