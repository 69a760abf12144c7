"""A read-only view of the audit trail for administrators (officers do not see it)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from kezek.accounts.permissions import is_admin
from kezek.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("seq", "occurred_at", "actor_label", "action", "object_type", "object_id")
    list_filter = ("action", "object_type")
    search_fields = ("=object_id",)
    ordering = ("-seq",)
    readonly_fields = [f.name for f in AuditEvent._meta.fields]
    show_full_result_count = False  # counting a long trail on every page is slow

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return is_admin(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False
