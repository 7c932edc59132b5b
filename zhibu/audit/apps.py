from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "zhibu.audit"
    label = "audit"
    verbose_name = _("审计日志")

    def ready(self) -> None:
        from zhibu.audit import signals  # noqa: F401  (logins and failed logins)

        checks.register(check_retention)


def check_retention(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A retention shorter than six months stops `serve`, `migrate` and `check`."""
    from django.core.exceptions import ImproperlyConfigured

    from zhibu.audit.services import retention_days

    try:
        retention_days()
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="zhibu.audit.E001")]
    return []
