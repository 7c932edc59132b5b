from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("手机号或用户名"),
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            # A single sign-on backend that recognised the person but could not place them
            # says why (zhibu.members.sso); show that instead of "wrong password".
            reason = getattr(self.request, "zhibu_sso_error", None)
            if reason:
                raise forms.ValidationError(reason, code="sso") from None
            raise


class OwnPasswordForm(PasswordChangeForm):
    """Change one's own password; saving goes through accounts.services.password_set."""

    def save(self, commit: bool = True):
        from zhibu.accounts.services import password_set

        return password_set(user=self.user, password=self.cleaned_data["new_password1"])
