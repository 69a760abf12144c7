from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "kezek.organisations"
    label = "organisations"
