"""Forms for editing the roster; saving always goes through members.services."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from zhibu.core.text import normalize_digits
from zhibu.members.models import Education, Member, MembershipEnd
from zhibu.members.selectors import member_create_branches, member_edit_party_groups
from zhibu.orgs.models import Organization, OrgKind
from zhibu.orgs.permissions import Action, can, visible_to

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MemberForm(forms.ModelForm):
    """Roster fields a secretary may correct. Branch moves are transfers, not edits."""

    class Meta:
        model = Member
        fields = [
            "name",
            "gender",
            "ethnicity",
            "birth_date",
            "id_number",
            "phone",
            "employee_number",
            "email",
            "wecom_id",
            "dingtalk_id",
            "education",
            "status",
            "join_date",
            "full_member_date",
            "party_group",
            "is_leading_cadre",
            "is_exempt",
        ]
        widgets = {"birth_date": DATE, "join_date": DATE, "full_member_date": DATE}

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        group = self.fields["party_group"]
        group.queryset = member_edit_party_groups(user=user, member=self.instance)
        group.empty_label = _("（不编入党小组）")
        self.fields["education"].choices = [("", _("（未填写）")), *Education.choices]
        # Whoever may not see the full ID number, phone and birth date must not get them in a
        # form either (the birth date is digits of the ID number).
        if self.instance.pk and not can(user, Action.VIEW_PERSONAL, self.instance):
            for name in ("id_number", "phone", "birth_date", "email", "wecom_id", "dingtalk_id"):
                del self.fields[name]
        else:
            self.fields["phone"].widget.attrs.update(inputmode="tel", autocomplete="off")

    def clean_id_number(self) -> str | None:
        value = normalize_digits(self.cleaned_data.get("id_number") or "").upper()
        return value or None

    def clean_employee_number(self) -> str | None:
        return (self.cleaned_data.get("employee_number") or "").strip() or None

    def clean_phone(self) -> str:
        return normalize_digits(self.cleaned_data.get("phone") or "").replace(" ", "")

    def add_service_error(self, error: ValidationError) -> None:
        """Show a service's ValidationError on the matching fields (or on top of the form)."""
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, error)


class MemberCreateForm(MemberForm):
    """A new member: the branch (where the user may change the roster) and the first day there."""

    branch = forms.ModelChoiceField(queryset=Organization.objects.none(), label=_("所在支部"))
    since = forms.DateField(
        label=_("编入本支部日期"),
        required=False,
        widget=DATE,
        help_text=_("不填则为入党日期"),
    )

    field_order = ["branch", "since"]

    def __init__(self, *args, user, branch: Organization | None = None, **kwargs) -> None:
        super().__init__(*args, user=user, **kwargs)
        branches = member_create_branches(user=user)
        self.fields["branch"].queryset = branches
        if branch is None:
            only = list(branches[:2])
            branch = only[0] if len(only) == 1 else None  # a secretary's one branch
        if branch is not None:
            self.fields["branch"].initial = branch.pk
        # Party groups of every branch the user may change; the service checks the pairing.
        self.fields["party_group"].queryset = visible_to(
            user, Action.CHANGE, Organization.objects.filter(kind=OrgKind.PARTY_GROUP)
        ).order_by("path")
        self.fields["id_number"].required = True
        self.order_fields(["branch", "since", *self.Meta.fields])


class MemberConvertForm(forms.Form):
    on = forms.DateField(label=_("转正日期"), widget=DATE)


class MemberEndForm(forms.Form):
    reason = forms.ChoiceField(label=_("减少原因"), choices=MembershipEnd.choices)
    on = forms.DateField(label=_("减少日期"), widget=DATE, help_text=_("不再在册的第一天"))
    note = forms.CharField(label=_("说明"), max_length=150, required=False)


class PositionAssignForm(forms.Form):
    member = forms.ModelChoiceField(label=_("党员"), queryset=Member.objects.none())
    role = forms.ChoiceField(label=_("职务"))
    start = forms.DateField(label=_("任职日期"), widget=DATE)

    def __init__(self, *args, org, candidates, **kwargs) -> None:
        from zhibu.members.models import CommitteeRole
        from zhibu.orgs.models import OrgKind

        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = candidates
        roles = [
            (r.value, r.label)
            for r in CommitteeRole
            if (r == CommitteeRole.PARTY_GROUP_LEADER) == (org.kind == OrgKind.PARTY_GROUP)
        ]
        self.fields["role"].choices = roles

    add_service_error = MemberForm.add_service_error


class PositionEndForm(forms.Form):
    end = forms.DateField(label=_("离任日期"), widget=DATE, help_text=_("在任的最后一天"))

    add_service_error = MemberForm.add_service_error


class ElectionForm(forms.Form):
    held_on = forms.DateField(label=_("选举日期"), widget=DATE)
    term_years = forms.IntegerField(label=_("任期（年）"))
    note = forms.CharField(
        label=_("说明"), max_length=300, required=False, help_text=_("如上级党组织的批复文号")
    )

    def __init__(self, *args, **kwargs) -> None:
        from zhibu.orgs import parameters

        super().__init__(*args, **kwargs)
        spec = parameters.PARAMETERS["term_years"]
        field = self.fields["term_years"]
        field.initial = parameters.default("term_years")
        field.min_value, field.max_value = spec.minimum, spec.maximum
        field.widget.attrs.update(min=spec.minimum, max=spec.maximum)
        field.help_text = _("默认 %(n)s 年（%(source)s）") % {
            "n": spec.default,
            "source": spec.source,
        }

    add_service_error = MemberForm.add_service_error
