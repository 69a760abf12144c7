"""Regions and districts for tests: the reference rows loaded by migration ``geo.0002``."""

from __future__ import annotations

from kezek.geo.models import District, Region
from kezek.geo.services import geo_sync


def district(code: str = "astana-yesil") -> District:
    """The district with this code (reloads the reference data if a flushing test removed it)."""
    found = District.objects.select_related("region").filter(code=code).first()
    if found is None:
        geo_sync()
        found = District.objects.select_related("region").get(code=code)
    return found


def region(code: str = "astana") -> Region:
    """The region with this code (reloads the reference data if a flushing test removed it)."""
    found = Region.objects.filter(code=code).first()
    if found is None:
        geo_sync()
        found = Region.objects.get(code=code)
    return found
