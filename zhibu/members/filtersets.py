"""One FilterSet per list, shared by the page, its htmx partial, the API and the export."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhibu.core.params import IdFilter
from zhibu.members.models import Education, Gender, Member, MemberStatus
from zhibu.orgs.models import subtree_q
from zhibu.orgs.permissions import Action, scope_q


class MemberFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("姓名、拼音首字母或手机号"))
    org = IdFilter(method="in_org", label=_("组织（含下级）"))
    branch = IdFilter(field_name="branch_id", label=_("支部"))
    party_group = IdFilter(field_name="party_group_id", label=_("党小组"))
    status = django_filters.ChoiceFilter(choices=MemberStatus.choices, label=_("党员类别"))
    gender = django_filters.ChoiceFilter(choices=Gender.choices, label=_("性别"))
    education = django_filters.ChoiceFilter(choices=Education.choices, label=_("学历"))
    is_leading_cadre = django_filters.BooleanFilter(label=_("领导干部"))
    is_active = django_filters.BooleanFilter(label=_("在册"))

    class Meta:
        model = Member
        fields = [
            "q",
            "org",
            "branch",
            "party_group",
            "status",
            "gender",
            "education",
            "is_leading_cadre",
            "is_active",
        ]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # Phone search only reaches rows whose phone the viewer may see: otherwise a masked
        # phone could be guessed digit by digit through the filter.
        user = getattr(self.request, "user", None)
        by_phone = Q(phone__startswith=value)
        if user is not None:
            by_phone &= scope_q(user, Action.VIEW_PERSONAL, Member)
        else:
            by_phone = Q(pk__in=[])
        by_name = Q(name__icontains=value)
        if value.isascii() and value.isalpha():
            # Pinyin initials ("zbh" finds 张博昊) or the start of the reading ("zhang").
            letters = value.lower()
            by_name |= Q(name_initials__startswith=letters) | Q(name_pinyin__startswith=letters)
        return queryset.filter(by_name | by_phone)

    def in_org(self, queryset, name, value):
        from zhibu.orgs.models import Organization

        org = Organization.objects.filter(pk=value).only("path").first()
        if org is None:
            return queryset.none()
        return queryset.filter(subtree_q(org.path, "branch__path"))
