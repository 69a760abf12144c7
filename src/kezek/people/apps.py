from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "kezek.people"
    label = "people"
