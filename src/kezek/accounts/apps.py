from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kezek.accounts"
    label = "accounts"
