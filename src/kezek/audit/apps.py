from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "kezek.audit"
    label = "audit"
