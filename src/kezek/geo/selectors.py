"""Reading regions and districts."""

from __future__ import annotations

from collections.abc import Collection

from kezek.geo.models import District, Region


def region_get_or_default(*, code: str) -> Region | None:
    """The region with this code, else the first region (a registry person without a district)."""
    return Region.objects.filter(code=code).first() or Region.objects.first()


def district_list(*, region_id: int | None = None, ids: Collection[int] | None = None) -> list[District]:
    """Districts in region then code order, optionally of one region or limited to ``ids``."""
    districts = District.objects.select_related("region").order_by("region__code", "code")
    if region_id is not None:
        districts = districts.filter(region_id=region_id)
    if ids is not None:
        districts = districts.filter(pk__in=ids)
    return list(districts)


def district_get(*, district_id: int) -> District:
    """One district with its region."""
    return District.objects.select_related("region").get(pk=district_id)
