"""Back office: appeals, incidents and remedies, read-only (decisions and restores go through the pages and services)."""

from __future__ import annotations

from django.contrib import admin

from kezek.appeals.models import Appeal, Incident, RemedyAction
from kezek.core.admin import OfficersReadOnlyAdmin


@admin.register(Appeal)
class AppealAdmin(OfficersReadOnlyAdmin):
    list_display = ("id", "kind", "subject_kind", "subject_id", "district", "status", "filed_at", "deadline", "decided_at")
    list_filter = ("status", "kind", "subject_kind")
    exclude = ("text",)  # a parent's own words stay on the appeal's page, shown to the people who decide it


@admin.register(Incident)
class IncidentAdmin(OfficersReadOnlyAdmin):
    list_display = ("id", "starts_at", "ends_at", "description", "recorded_at", "restored_at")


@admin.register(RemedyAction)
class RemedyActionAdmin(OfficersReadOnlyAdmin):
    list_display = ("id", "appeal", "incident", "item_kind", "item_id", "remedy", "outcome", "new_item_id", "beyond_quota")
    list_filter = ("outcome", "remedy", "item_kind")
