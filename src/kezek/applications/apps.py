from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "kezek.applications"
    label = "applications"
    verbose_name = "Kindergarten queue"
