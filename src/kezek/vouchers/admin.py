"""Back office: campaigns, vouchers and their history, read-only (every change goes through the pages and services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from kezek.accounts.models import Role
from kezek.accounts.permissions import is_admin
from kezek.vouchers.models import CampaignChange, Voucher, VoucherCampaign, VoucherEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    """Officers and administrators look; writes happen through the services so they are checked and audited."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return is_admin(user) or (user.is_active and user.is_staff and user.role == Role.OFFICER)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(VoucherCampaign)
class VoucherCampaignAdmin(ReadOnlyAdmin):
    list_display = ("title", "region", "district", "kind", "policy", "status", "quota", "held", "announced_at")
    list_filter = ("status", "policy", "kind")
    search_fields = ("title",)


@admin.register(CampaignChange)
class CampaignChangeAdmin(ReadOnlyAdmin):
    list_display = ("campaign", "summary", "reason", "actor", "created_at")


@admin.register(Voucher)
class VoucherAdmin(ReadOnlyAdmin):
    list_display = ("number", "campaign", "kind", "status", "section", "issued_at")
    list_filter = ("status", "kind")
    search_fields = ("=number", "=child__iin")
    list_select_related = ("campaign", "section")


@admin.register(VoucherEvent)
class VoucherEventAdmin(ReadOnlyAdmin):
    list_display = ("voucher", "kind", "occurred_at", "actor", "reason")
    list_filter = ("kind",)
