from django.apps import AppConfig


class PlacementsConfig(AppConfig):
    name = "kezek.placements"
    label = "placements"
    verbose_name = "Offers, referrals and enrolments"
