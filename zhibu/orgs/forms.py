"""Forms of the organization pages; saving always goes through orgs (or members) services."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhibu.orgs.models import Organization, OrgCategory, OrgKind

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ServiceErrorsMixin:
    def add_service_error(self, error: ValidationError) -> None:
        """Show a service's ValidationError on the matching fields (or on top of the form)."""
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, error)


class OrgFieldsForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    category = forms.ChoiceField(label=_("单位类别"), choices=OrgCategory.choices)
    founded_on = forms.DateField(label=_("成立日期"), required=False, widget=DATE)
    fixed_party_day = forms.IntegerField(
        label=_("每月固定党日"),
        required=False,
        min_value=1,
        max_value=28,
        help_text=_("每月第几天（1–28），用于安排主题党日和提醒"),
    )

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()


_COMMITTEES = (OrgKind.ORGANS_WORK_COMMITTEE, OrgKind.BASE_PARTY_COMMITTEE)
# What may be set up under each kind of organization (None: a top-level organization).
CHILD_KINDS: dict[str | None, list[OrgKind]] = {
    None: [*_COMMITTEES],
    OrgKind.ORGANS_WORK_COMMITTEE: [OrgKind.BRANCH, OrgKind.GENERAL_BRANCH, *_COMMITTEES],
    OrgKind.BASE_PARTY_COMMITTEE: [OrgKind.BRANCH, OrgKind.GENERAL_BRANCH, *_COMMITTEES],
    OrgKind.GENERAL_BRANCH: [OrgKind.BRANCH],
    OrgKind.BRANCH: [OrgKind.PARTY_GROUP],
    OrgKind.PARTY_GROUP: [],
}


class OrgCreateForm(OrgFieldsForm):
    kind = forms.ChoiceField(label=_("类型"), choices=OrgKind.choices)
    field_order = ["name", "kind", "category", "founded_on", "fixed_party_day"]

    def __init__(self, *args, parent: Organization | None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        kinds = CHILD_KINDS[parent.kind if parent is not None else None]
        self.fields["kind"].choices = [(k.value, k.label) for k in kinds]
        self.fields["kind"].initial = kinds[0]
        if parent is not None:
            self.fields["category"].initial = parent.category


class OrgEditForm(OrgFieldsForm):
    note = forms.CharField(
        label=_("变更说明"), max_length=300, required=False, help_text=_("如依据的批复文号")
    )


class OrgMoveForm(ServiceErrorsMixin, forms.Form):
    parent = forms.ModelChoiceField(label=_("新的上级组织"), queryset=Organization.objects.none())
    note = forms.CharField(label=_("变更说明"), max_length=300, required=False)

    def __init__(self, *args, parents, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = parents


class OrgDissolveForm(ServiceErrorsMixin, forms.Form):
    on = forms.DateField(label=_("撤销日期"), widget=DATE)
    transfer_to = forms.ModelChoiceField(
        label=_("党员转入的支部"),
        queryset=Organization.objects.none(),
        required=False,
        empty_label=_("（不转接：组织内已没有在册党员）"),
        help_text=_("在册党员整体转入该支部，保留原支部记录"),
    )
    note = forms.CharField(label=_("撤销说明"), max_length=300, required=False)

    def __init__(self, *args, targets, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()
        if targets is None:
            del self.fields["transfer_to"]
        else:
            self.fields["transfer_to"].queryset = targets


class OrgImportForm(forms.Form):
    file = forms.FileField(
        label=_("组织架构文件（.xlsx）"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )
    dry_run = forms.BooleanField(label=_("只检查，不导入"), required=False)
