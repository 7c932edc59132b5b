from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "zhibu.notify"
    label = "notify"
