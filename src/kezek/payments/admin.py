"""Back office: statements and their lines, read-only (approval and adjustments go through the pages and services);
the regions' kindergarten tariffs are edited here."""

from __future__ import annotations

from django.contrib import admin
from django.db import transaction

from kezek.audit.services import audit_record

from kezek.payments.models import RegionTariff, Statement, StatementLine
from kezek.core.admin import OfficersReadOnlyAdmin


class LineInline(admin.TabularInline):
    model = StatementLine
    extra = 0
    can_delete = False
    fields = ("kind", "child", "group", "sessions", "paid", "contested", "upheld", "monthly_value", "amount", "reason")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Statement)
class StatementAdmin(OfficersReadOnlyAdmin):
    list_display = ("organisation", "month", "status", "due_on", "approved_at")
    list_filter = ("status", "month")
    search_fields = ("organisation__name", "organisation__bin")
    inlines = [LineInline]


@admin.register(RegionTariff)
class RegionTariffAdmin(admin.ModelAdmin):
    list_display = ("region", "kindergarten_monthly_value")

    def save_model(self, request, obj, form, change) -> None:
        # A tariff decides what providers are paid: its changes are audited like any other.
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit_record(actor=request.user, action="payments.tariff.saved", obj=obj,
                         after={"region": obj.region_id, "kindergarten_monthly_value": str(obj.kindergarten_monthly_value)})
