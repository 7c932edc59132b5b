from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo and benchmark data. Depends on every domain app; nothing depends on it."""

    name = "zhibu.demo"
    label = "demo"
