"""Back office: flags, suspensions, disputes and scan runs, read-only (decisions go through the pages and services)."""

from __future__ import annotations

from django.contrib import admin

from kezek.integrity.models import Dispute, IntegrityFlag, ScanRun, Suspension
from kezek.core.admin import OfficersReadOnlyAdmin


@admin.register(IntegrityFlag)
class IntegrityFlagAdmin(OfficersReadOnlyAdmin):
    district_path = "district_id"
    list_display = ("kind", "subject", "organisation", "status", "found_at", "last_seen_at")
    list_filter = ("kind", "status")
    search_fields = ("subject", "fingerprint")


@admin.register(Suspension)
class SuspensionAdmin(OfficersReadOnlyAdmin):
    district_path = "district_id"
    list_display = ("child", "group", "status", "suspended_on", "release_on", "ended_at")
    list_filter = ("status",)


@admin.register(Dispute)
class DisputeAdmin(OfficersReadOnlyAdmin):
    district_path = "district_id"
    list_display = ("child", "organisation", "status", "since", "filed_at", "deadline", "upheld_from", "upheld_to")
    list_filter = ("status",)


@admin.register(ScanRun)
class ScanRunAdmin(OfficersReadOnlyAdmin):
    list_display = ("day", "nightly", "started_at", "finished_at", "seconds", "new_flags", "suspended")
