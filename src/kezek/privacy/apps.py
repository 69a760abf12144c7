from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "kezek.privacy"
    label = "privacy"
    verbose_name = "Personal data: exports, erasure and retention"
