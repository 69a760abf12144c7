from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "kezek.payments"
    label = "payments"
    verbose_name = "Attendance-based payment"
