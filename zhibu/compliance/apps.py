from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "zhibu.compliance"
    label = "compliance"
