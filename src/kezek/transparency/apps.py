from django.apps import AppConfig


class TransparencyConfig(AppConfig):
    name = "kezek.transparency"
    label = "transparency"
    verbose_name = "Public dashboard and open data"
