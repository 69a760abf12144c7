from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "kezek.web"
    label = "web"
