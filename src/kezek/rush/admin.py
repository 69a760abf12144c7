"""Back-office view of openings, pools and claims: read only, since every change goes through the services
(the campaigns and rounds that own an opening create and audit it)."""

from __future__ import annotations

from django.contrib import admin

from kezek.core.admin import ReadOnlyPermissions
from kezek.rush.models import Opening, Pool, PoolClaim


class PoolInline(ReadOnlyPermissions, admin.TabularInline):
    model = Pool
    fields = ("key", "title", "capacity", "taken")
    extra = 0


@admin.register(Opening)
class OpeningAdmin(ReadOnlyPermissions, admin.ModelAdmin):
    list_display = ("slug", "title", "opens_at", "admission_rate", "token_ttl", "max_claims_in_flight")
    search_fields = ("slug", "title")
    date_hierarchy = "opens_at"
    inlines = [PoolInline]


@admin.register(PoolClaim)
class PoolClaimAdmin(ReadOnlyPermissions, admin.ModelAdmin):
    list_display = ("id", "opening", "pool", "holder", "account", "created_at", "released_at")
    list_filter = ("opening",)
    search_fields = ("holder", "idempotency_key")
    list_select_related = ("opening", "pool", "account")
    ordering = ("-id",)
