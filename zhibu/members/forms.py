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
        # Whoever may not see the full ID number, phone and birth date must not get them in a
        # form either (the birth date is digits of the ID number).
        if not can(user, Action.VIEW_PERSONAL, self.instance):
            del self.fields["id_number"]
            del self.fields["phone"]
            del self.fields["birth_date"]
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
