"""Back office: attendance rows are read here and changed only through the services (which audit them)."""

from django.contrib import admin

from kezek.attendance.models import CheckIn, ContestedDay, Mark, MonthlySheet, RegionAttendanceRules, Session
from kezek.core.admin import OfficersReadOnlyAdmin


@admin.register(RegionAttendanceRules)
class RegionAttendanceRulesAdmin(admin.ModelAdmin):
    """Administrators set a region's own numbers (deadlines, silence, payment rule)."""

    list_display = ("region", "confirm_by_day", "silence_means", "payment_rule", "payment_due_day")


@admin.register(Session)
class SessionAdmin(OfficersReadOnlyAdmin):
    district_path = "group__organisation__district_id"
    list_display = ("group", "date", "starts_at", "ends_at")
    list_filter = ("date",)


@admin.register(Mark)
class MarkAdmin(OfficersReadOnlyAdmin):
    district_path = "session__group__organisation__district_id"
    list_display = ("session", "child", "status", "marked_by", "marked_at", "corrected_at")


@admin.register(CheckIn)
class CheckInAdmin(OfficersReadOnlyAdmin):
    district_path = "session__group__organisation__district_id"
    list_display = ("session", "child", "parent", "checked_in_at")


@admin.register(MonthlySheet)
class MonthlySheetAdmin(OfficersReadOnlyAdmin):
    district_path = "group__organisation__district_id"
    list_display = ("child", "group", "month", "status", "deadline")
    list_filter = ("status",)


@admin.register(ContestedDay)
class ContestedDayAdmin(OfficersReadOnlyAdmin):
    district_path = "sheet__group__organisation__district_id"
    list_display = ("sheet", "session", "status", "resolved_at")
    list_filter = ("status",)
