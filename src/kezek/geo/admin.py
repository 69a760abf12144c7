"""Back office for regions and districts: reference data, so only superusers may change it."""

from django.contrib import admin

from kezek.core.admin import ReferenceDataPermissions
from kezek.geo.models import District, Region


class ReferenceDataAdmin(ReferenceDataPermissions, admin.ModelAdmin):
    """Rows come from kezek.domain.geo (``kezek load-geo``); officers may look them up but not edit them."""


class DistrictInline(ReferenceDataPermissions, admin.TabularInline):
    model = District
    fields = ("code", "name_kk", "name_ru", "name_en")
    extra = 0


@admin.register(Region)
class RegionAdmin(ReferenceDataAdmin):
    list_display = ("code", "kind", "name_kk", "name_ru", "name_en")
    list_filter = ("kind",)
    search_fields = ("code", "name_kk", "name_ru", "name_en")
    inlines = [DistrictInline]


@admin.register(District)
class DistrictAdmin(ReferenceDataAdmin):
    list_display = ("code", "region", "name_kk", "name_ru", "name_en")
    list_filter = ("region",)
    list_select_related = ("region",)
    search_fields = ("code", "name_kk", "name_ru", "name_en")
