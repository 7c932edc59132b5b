"""Forms for editing the roster; saving always goes through members.services."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from zhibu.core.text import normalize_digits
from zhibu.members.models import Education, Member
from zhibu.members.selectors import member_edit_party_groups
from zhibu.orgs.permissions import Action, can

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
        # Whoever may not see the full ID number and phone must not get them in a form either.
        if not can(user, Action.VIEW_PERSONAL, self.instance):
            del self.fields["id_number"]
            del self.fields["phone"]
        else:
            self.fields["phone"].widget.attrs.update(inputmode="tel", autocomplete="off")

    def clean_id_number(self) -> str | None:
        value = normalize_digits(self.cleaned_data.get("id_number") or "").upper()
        return value or None

    def clean_phone(self) -> str:
        return normalize_digits(self.cleaned_data.get("phone") or "").replace(" ", "")

    def add_service_error(self, error: ValidationError) -> None:
        """Show a service's ValidationError on the matching fields (or on top of the form)."""
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, error)


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
