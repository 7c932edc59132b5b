from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "zhibu.core"
    label = "core"
