from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("手机号或用户名"),
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )


class OwnPasswordForm(PasswordChangeForm):
    """Change one's own password; saving goes through accounts.services.password_set."""

    def save(self, commit: bool = True):
        from zhibu.accounts.services import password_set

        return password_set(user=self.user, password=self.cleaned_data["new_password1"])
