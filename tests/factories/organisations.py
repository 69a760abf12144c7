"""Providers and groups for tests, written directly (valid data, no actor needed).

Use the services in ``kezek.organisations.services`` instead when the test is about registering them.
"""

from __future__ import annotations

import random
from typing import Any

from kezek.domain.bin import build_bin
from kezek.geo.models import District
from kezek.organisations.models import Group, Organisation
from tests.factories.geo import district as get_district


def unique_bin() -> str:
    """A valid BIN that no organisation in the database has yet."""
    while True:
        # Registration year-month prefix, then a random organisation-type and serial part.
        candidate = build_bin(f"{random.randint(0, 99):02d}{random.randint(1, 12):02d}4{random.randint(0, 999999):06d}")
        if candidate and not Organisation.objects.filter(bin=candidate).exists():
            return candidate


def make_organisation(
    *,
    district: District | str | None = None,
    kind: str = Organisation.Kind.KINDERGARTEN,
    ownership: str = Organisation.Ownership.STATE,
    name: str | None = None,
    bin: str | None = None,
    address: str = "ул. Кенесары, 1",
    languages: list[str] | None = None,
    status: str = Organisation.Status.APPROVED,
) -> Organisation:
    """An organisation, approved by default, in ``district`` (a District or its code; Astana Yesil by default)."""
    if district is None or isinstance(district, str):
        district = get_district(district or "astana-yesil")
    bin = bin or unique_bin()
    return Organisation.objects.create(
        kind=kind,
        ownership=ownership,
        name=name or f"{'Балабақша' if kind == Organisation.Kind.KINDERGARTEN else 'Үйірме'} {bin[-4:]}",
        bin=bin,
        district=district,
        address=address,
        languages=languages if languages is not None else ["kk", "ru"],
        status=status,
    )


def make_group(
    *,
    organisation: Organisation | None = None,
    name: str = "Балапан",
    kind: str = Group.Kind.MIDDLE,
    age_min_months: int = 36,
    age_max_months: int = 47,
    language: str = "kk",
    capacity: int = 25,
    is_active: bool = True,
    **organisation_kwargs: Any,
) -> Group:
    """A group (a kindergarten's middle group by default) of ``organisation`` or of a new one."""
    organisation = organisation or make_organisation(**organisation_kwargs)
    return Group.objects.create(
        organisation=organisation,
        name=name,
        kind=kind,
        age_min_months=age_min_months,
        age_max_months=age_max_months,
        language=language,
        capacity=capacity,
        is_active=is_active,
    )
