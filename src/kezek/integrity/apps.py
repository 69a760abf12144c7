from django.apps import AppConfig


class IntegrityConfig(AppConfig):
    name = "kezek.integrity"
    label = "integrity"
    verbose_name = "Integrity: phantom enrolments and disputes"
