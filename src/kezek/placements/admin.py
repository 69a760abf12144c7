"""Back office view of offers, referrals and enrolments: read-only, because they change only through services.

Officers see their own district's; administrators every district's.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from kezek.accounts.permissions import district_scope
from kezek.core.admin import ReadOnlyPermissions
from kezek.placements.models import Enrolment, Offer, Referral


class DistrictScoped(ReadOnlyPermissions, admin.ModelAdmin):
    district_path = ""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        scope = district_scope(request.user)
        queryset = super().get_queryset(request)
        return queryset if scope is None else queryset.filter(**{f"{self.district_path}__in": scope})


@admin.register(Offer)
class OfferAdmin(DistrictScoped):
    district_path = "application__district_id"
    list_display = ("id", "round", "application", "place", "source", "status", "deadline", "passed_on")
    list_filter = ("status", "source", "passed_on")
    list_select_related = ("round", "application", "place")
    search_fields = ("=id", "=application__public_id")


@admin.register(Referral)
class ReferralAdmin(DistrictScoped):
    district_path = "offer__application__district_id"
    list_display = ("number", "status", "issued_at", "contract_deadline", "extended", "contracted_at")
    list_filter = ("status", "extended")
    search_fields = ("=number",)
    exclude = ("check_token",)


@admin.register(Enrolment)
class EnrolmentAdmin(DistrictScoped):
    district_path = "application__district_id"
    list_display = ("id", "child", "group", "status", "started_on", "ended_on")
    list_filter = ("status",)
    list_select_related = ("child", "group")
