from django.apps import AppConfig


class VouchersConfig(AppConfig):
    name = "kezek.vouchers"
    label = "vouchers"
    verbose_name = "Club vouchers"
