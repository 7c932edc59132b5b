from django import forms
from django.utils.translation import gettext_lazy as _

from zhibu.notify.models import WebhookEndpoint
from zhibu.orgs.models import Organization
from zhibu.orgs.permissions import Action, visible_to


class WebhookForm(forms.ModelForm):
    url = forms.URLField(label=_("Webhook 地址"), max_length=500, assume_scheme="https")

    class Meta:
        model = WebhookEndpoint
        fields = ["org", "channel", "name", "url", "secret", "enabled"]
        help_texts = {"secret": _("钉钉“加签”或飞书“签名校验”的密钥；企业微信不需要")}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Dropdowns go through the permission layer too.
        self.fields["org"].queryset = visible_to(user, Action.CHANGE, Organization.objects.all())
