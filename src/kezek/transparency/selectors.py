"""Aggregated public figures: counts only, small counts suppressed, cached for at most ``CACHE_SECONDS``.

Nothing here returns a row about one child: every query is a GROUP BY, and every count passes through
``kezek.domain.disclosure.suppress_small`` before it leaves this module.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.core.cache import cache
from django.db.models import Count, F, Sum

from kezek.applications.models import Application
from kezek.domain.disclosure import suppress_small
from kezek.domain.queue import PriorityClass
from kezek.geo.models import District, Region
from kezek.organisations.models import Group, Organisation

# Public pages must be correct within a minute of a change; half of that leaves room for the render.
CACHE_SECONDS = 30
CLASSES = (PriorityClass.EXTRAORDINARY, PriorityClass.FIRST, PriorityClass.GENERAL)


def _cached(key: str, build) -> Any:
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, CACHE_SECONDS)
    return value


def public_regions() -> list[dict[str, Any]]:
    """Every region with its code and names (for the region switcher)."""
    return _cached(
        "transparency:regions",
        lambda: list(Region.objects.order_by("code").values("id", "code", "name_kk", "name_ru", "name_en")),
    )


def _queue_counts(region_id: int) -> dict[tuple[int, int, int], int]:
    rows = (
        Application.objects.filter(district__region_id=region_id, status=Application.Status.ACTIVE)
        .values("district_id", "age_group", "priority_class")
        .annotate(n=Count("id"))
    )
    return {(r["district_id"], r["age_group"], r["priority_class"]): r["n"] for r in rows}


def _kindergarten_places(region_id: int) -> dict[int, int]:
    rows = (
        Group.objects.filter(
            organisation__district__region_id=region_id,
            organisation__kind=Organisation.Kind.KINDERGARTEN,
            organisation__status=Organisation.Status.APPROVED,
            is_active=True,
        )
        .values("organisation__district_id")
        .annotate(free=Sum(F("capacity") - F("enrolled")), capacity=Sum("capacity"))
    )
    return {r["organisation__district_id"]: r["free"] or 0 for r in rows}


def _build_region_queue(region_id: int) -> dict[str, Any]:
    counts = _queue_counts(region_id)
    places = _kindergarten_places(region_id)
    districts = list(District.objects.filter(region_id=region_id).order_by("code").values("id", "code", "name_kk", "name_ru", "name_en"))
    by_district: dict[int, dict[int, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    for (district_id, group, klass), n in counts.items():
        by_district[district_id][group][klass] = n
    result = []
    for d in districts:
        groups = by_district.get(d["id"], {})
        total = sum(sum(per_class.values()) for per_class in groups.values())
        result.append({
            **{k: d[k] for k in ("code", "name_kk", "name_ru", "name_en")},
            "waiting": suppress_small(total),
            "free_places": places.get(d["id"], 0),
            "age_groups": [
                {
                    "age_group": group,
                    "classes": [suppress_small(groups[group].get(int(c), 0)) for c in CLASSES],
                    "total": suppress_small(sum(groups[group].values())),
                }
                for group in sorted(groups)
            ],
        })
    return {"districts": result}


def public_region_queue(*, region_code: str) -> dict[str, Any] | None:
    """The kindergarten queue of one region by district, age group and priority class, with free places."""
    region = Region.objects.filter(code=region_code).values("id").first()
    if region is None:
        return None
    return _cached(f"transparency:queue:{region_code}", lambda: _build_region_queue(region["id"]))


def public_queue_rows() -> list[dict[str, Any]]:
    """The national open-data table: one row per district, age group and class, small counts suppressed."""

    def build() -> list[dict[str, Any]]:
        regions = dict(Region.objects.values_list("id", "code"))
        districts = {d["id"]: d for d in District.objects.values("id", "code", "region_id")}
        rows = (
            Application.objects.filter(status=Application.Status.ACTIVE)
            .values("district_id", "age_group", "priority_class")
            .annotate(n=Count("id"))
            .order_by("district_id", "age_group", "priority_class")
        )
        return [
            {
                "region": regions[districts[r["district_id"]]["region_id"]],
                "district": districts[r["district_id"]]["code"],
                "age_group": r["age_group"],
                "priority_class": PriorityClass(r["priority_class"]).name.lower(),
                "waiting": suppress_small(r["n"]),
            }
            for r in rows
        ]

    return _cached("transparency:queue-rows", build)
