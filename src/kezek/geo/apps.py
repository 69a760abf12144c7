from django.apps import AppConfig


class GeoConfig(AppConfig):
    name = "kezek.geo"
    label = "geo"
