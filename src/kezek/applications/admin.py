"""Back office view of kindergarten applications: read-only, because they change only through services.

Officers see the applications of their own district; administrators see every district.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from kezek.accounts.models import Role
from kezek.accounts.permissions import district_scope
from kezek.applications.models import Application, ApplicationEvent, ApplicationPreference, BenefitClaim
from kezek.core.admin import ReadOnlyPermissions


class PreferenceInline(ReadOnlyPermissions, admin.TabularInline):
    model = ApplicationPreference
    fields = ("rank", "organisation")
    extra = 0


class ClaimInline(ReadOnlyPermissions, admin.TabularInline):
    model = BenefitClaim
    fields = ("kind", "priority_class", "source", "status", "confirm_by", "decided_at", "decision_reason")
    extra = 0


class EventInline(ReadOnlyPermissions, admin.TabularInline):
    model = ApplicationEvent
    fields = ("occurred_at", "kind", "details")
    extra = 0


@admin.register(Application)
class ApplicationAdmin(ReadOnlyPermissions, admin.ModelAdmin):
    list_display = ("id", "public_id", "child", "district", "age_group", "priority_class", "status", "registered_at")
    list_filter = ("status", "priority_class", "age_group", "language")
    list_select_related = ("child", "district")
    search_fields = ("=id", "=public_id", "=child__iin", "child__last_name")
    ordering = ("district", "age_group", "priority_class", "registered_at", "id")
    show_full_result_count = False
    inlines = [PreferenceInline, ClaimInline, EventInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Application]:
        scope = district_scope(request.user)
        queryset = super().get_queryset(request)
        if request.user.role == Role.PROVIDER_STAFF:
            return queryset.none()  # providers see applicants only through offers (issue 4), not the queue
        return queryset if scope is None else queryset.filter(district_id__in=scope)
