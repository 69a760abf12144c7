from django.apps import AppConfig


class RushConfig(AppConfig):
    name = "kezek.rush"
    label = "rush"
    verbose_name = "Openings and waiting rooms"
