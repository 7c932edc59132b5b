from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "zhibu.members"
    label = "members"
