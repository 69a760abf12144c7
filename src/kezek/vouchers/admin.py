"""Back office: campaigns, vouchers and their history, read-only (every change goes through the pages and services)."""

from __future__ import annotations


from django.contrib import admin

from kezek.core.admin import OfficersReadOnlyAdmin
from kezek.vouchers.models import CampaignChange, Voucher, VoucherCampaign, VoucherEvent


@admin.register(VoucherCampaign)
class VoucherCampaignAdmin(OfficersReadOnlyAdmin):
    list_display = ("title", "region", "district", "kind", "policy", "status", "quota", "held", "announced_at")
    list_filter = ("status", "policy", "kind")
    search_fields = ("title",)


@admin.register(CampaignChange)
class CampaignChangeAdmin(OfficersReadOnlyAdmin):
    list_display = ("campaign", "summary", "reason", "actor", "created_at")


@admin.register(Voucher)
class VoucherAdmin(OfficersReadOnlyAdmin):
    list_display = ("number", "campaign", "kind", "status", "section", "issued_at")
    list_filter = ("status", "kind")
    search_fields = ("=number", "=child__iin")
    list_select_related = ("campaign", "section")


@admin.register(VoucherEvent)
class VoucherEventAdmin(OfficersReadOnlyAdmin):
    list_display = ("voucher", "kind", "occurred_at", "actor", "reason")
    list_filter = ("kind",)
