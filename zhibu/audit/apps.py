from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "zhibu.audit"
    label = "audit"

    def ready(self) -> None:
        from zhibu.audit import signals  # noqa: F401  (logins and failed logins)
