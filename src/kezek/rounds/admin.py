"""Back office view of allocation rounds: read-only, because rounds change only through their services.

Officers see the rounds of their own district; administrators see every district. The seed is never shown here
before the run reveals it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from kezek.accounts.permissions import district_scope
from kezek.core.admin import ReadOnlyPermissions
from kezek.rounds.models import Round, RoundChange, RoundPlace, RoundRun


class PlaceInline(ReadOnlyPermissions, admin.TabularInline):
    model = RoundPlace
    fields = ("group", "age_group", "places", "taken", "frees_on")
    extra = 0


class ChangeInline(ReadOnlyPermissions, admin.TabularInline):
    model = RoundChange
    fields = ("changed_at", "place", "field", "old_value", "new_value", "reason", "changed_by")
    extra = 0


class RunInline(ReadOnlyPermissions, admin.StackedInline):
    model = RoundRun
    fields = ("status", "requested_by", "requested_at", "progress_stage", "progress_done", "progress_total", "error",
              "finished_at", "input_sha256", "result_sha256", "solve_seconds")
    extra = 0


@admin.register(Round)
class RoundAdmin(ReadOnlyPermissions, admin.ModelAdmin):
    list_display = ("code", "title", "district", "policy", "status", "runs_at")
    list_filter = ("status", "policy")
    list_select_related = ("district",)
    search_fields = ("=code", "title")
    exclude = ("seed_hex",)
    readonly_fields = ("revealed_seed",)
    inlines = [PlaceInline, ChangeInline, RunInline]

    @admin.display(description="seed (after the run)")
    def revealed_seed(self, obj: Any) -> str:
        return obj.seed_hex if obj.seed_revealed else "—"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Round]:
        scope = district_scope(request.user)
        queryset = super().get_queryset(request)
        return queryset if scope is None else queryset.filter(district_id__in=scope)
