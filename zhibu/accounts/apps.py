from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "zhibu.accounts"
    label = "accounts"
