"""Back office view of the civil-registry data: read-only, because the registry is loaded by import.

Officers see the people of their own district; administrators see everyone.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from kezek.accounts.permissions import district_scope
from kezek.core.admin import ReadOnlyPermissions
from kezek.people.models import BenefitFact, LegalRepresentation, Person
from kezek.privacy.admin import PersonPrivacyActions


class RepresentedChildrenInline(ReadOnlyPermissions, admin.TabularInline):
    model = LegalRepresentation
    fk_name = "representative"
    fields = ("child", "kind")
    verbose_name_plural = "children represented"
    extra = 0


class BenefitInline(ReadOnlyPermissions, admin.TabularInline):
    model = BenefitFact
    fields = ("kind", "valid_from", "valid_to")
    extra = 0


@admin.register(Person)
class PersonAdmin(PersonPrivacyActions, ReadOnlyPermissions, admin.ModelAdmin):
    list_display = ("iin", "last_name", "first_name", "patronymic", "birth_date", "sex", "district")
    list_filter = ("sex", "benefits__kind")
    list_select_related = ("district",)
    search_fields = ("=iin", "last_name", "first_name")
    show_full_result_count = False
    inlines = [RepresentedChildrenInline, BenefitInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Person]:
        scope = district_scope(request.user)
        queryset = super().get_queryset(request)
        return queryset if scope is None else queryset.filter(district_id__in=scope)
