from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "zhibu.core"
    label = "core"

    def ready(self) -> None:
        from zhibu.core.db import connect_signals

        connect_signals()
