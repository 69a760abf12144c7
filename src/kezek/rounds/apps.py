from django.apps import AppConfig


class RoundsConfig(AppConfig):
    name = "kezek.rounds"
    label = "rounds"
    verbose_name = "Allocation rounds"
