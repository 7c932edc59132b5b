from django.apps import AppConfig


class OrglifeConfig(AppConfig):
    name = "zhibu.orglife"
    label = "orglife"
