"""Back office: campaigns, vouchers and their history, read-only (every change goes through the pages and services)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from kezek.core.admin import OfficersReadOnlyAdmin
from kezek.vouchers.models import CampaignChange, Voucher, VoucherCampaign, VoucherEvent
from kezek.vouchers.selectors import campaigns_for_officer


@admin.register(VoucherCampaign)
class VoucherCampaignAdmin(OfficersReadOnlyAdmin):
    list_display = ("title", "region", "district", "kind", "policy", "status", "quota", "held", "announced_at")
    list_filter = ("status", "policy", "kind")
    search_fields = ("title",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[VoucherCampaign]:
        # Officers see the campaigns they run (drafts included), never another district's.
        return super().get_queryset(request).filter(pk__in=campaigns_for_officer(user=request.user).values("pk"))


@admin.register(CampaignChange)
class CampaignChangeAdmin(OfficersReadOnlyAdmin):
    list_display = ("campaign", "summary", "reason", "actor", "created_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[CampaignChange]:
        return super().get_queryset(request).filter(campaign__in=campaigns_for_officer(user=request.user).values("pk"))


@admin.register(Voucher)
class VoucherAdmin(OfficersReadOnlyAdmin):
    list_display = ("number", "campaign", "kind", "status", "section", "issued_at")
    list_filter = ("status", "kind")
    search_fields = ("=number", "=child__iin")
    list_select_related = ("campaign", "section")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Voucher]:
        # Officers see the vouchers of the campaigns they run (their district's, or their region's region-wide ones).
        return super().get_queryset(request).filter(campaign__in=campaigns_for_officer(user=request.user))


@admin.register(VoucherEvent)
class VoucherEventAdmin(OfficersReadOnlyAdmin):
    list_display = ("voucher", "kind", "occurred_at", "actor", "reason")
    list_filter = ("kind",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[VoucherEvent]:
        return super().get_queryset(request).filter(voucher__campaign__in=campaigns_for_officer(user=request.user))
