from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Demo and benchmark data. Depends on every domain app; nothing depends on it."""

    name = "zhibu.demo"
    label = "demo"
    verbose_name = _("演示数据")
