"""Keeping the Region and District tables equal to the reference data in ``kezek.domain.geo``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from kezek.domain import geo as geo_data

NAME_FIELDS = ("name_kk", "name_ru", "name_en")


@dataclass(frozen=True)
class GeoSyncResult:
    created: int
    updated: int

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def _upsert(model: Any, *, code: str, values: dict[str, Any]) -> tuple[Any, str]:
    row = model.objects.filter(code=code).first()
    if row is None:
        return model.objects.create(code=code, **values), "created"
    stale = {key: value for key, value in values.items() if getattr(row, key) != value}
    if not stale:
        return row, "same"
    for key, value in stale.items():
        setattr(row, key, value)
    row.save(update_fields=list(stale))
    return row, "updated"


def geo_sync(*, region_model: Any = None, district_model: Any = None) -> GeoSyncResult:
    """Upsert every region and district of the reference data by code (rule: codes are stable, names may change).

    Idempotent; never deletes, because districts are referenced by officers and organisations.
    Migrations pass their historical models.
    """
    if region_model is None or district_model is None:
        from kezek.geo.models import District, Region

        region_model, district_model = region_model or Region, district_model or District
    counts = {"created": 0, "updated": 0, "same": 0}
    with transaction.atomic():
        for region in geo_data.all_regions():
            values = {"kind": region.kind, **{f: getattr(region, f) for f in NAME_FIELDS}}
            region_row, outcome = _upsert(region_model, code=region.code, values=values)
            counts[outcome] += 1
            for district in region.districts:
                values = {"region_id": region_row.pk, **{f: getattr(district, f) for f in NAME_FIELDS}}
                _, outcome = _upsert(district_model, code=district.code, values=values)
                counts[outcome] += 1
    return GeoSyncResult(created=counts["created"], updated=counts["updated"])
