"""Club sections: provider staff open and maintain them; officers approve new ones before parents see them."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from kezek.accounts.permissions import require_district, require_organisation
from kezek.audit.services import audit_record
from kezek.organisations.models import Group, Organisation
from kezek.organisations.services import GROUP_FIELDS, group_create, group_snapshot, group_update
from kezek.vouchers import errors

SECTION_FIELDS = ("schedule", "monthly_price", "address")
SECTION_KINDS = (
    Group.Kind.SPORT, Group.Kind.ARTS, Group.Kind.MUSIC, Group.Kind.TECHNOLOGY, Group.Kind.LANGUAGES, Group.Kind.SCIENCE,
)


def section_snapshot(section: Group) -> dict[str, Any]:
    """The audited state of a section: the group's fields and the catalogue's."""
    return group_snapshot(section) | {f: getattr(section, f) for f in SECTION_FIELDS} | {"is_approved": section.is_approved}


def _clean_details(values: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for key in ("schedule", "address"):
        if key in values:
            cleaned[key] = str(values[key] or "").strip()[:255]
    if "monthly_price" in values:
        price = values["monthly_price"]
        if price is not None and (isinstance(price, bool) or not isinstance(price, int) or price < 0):
            raise errors.InvalidPrice()
        cleaned["monthly_price"] = price
    return cleaned


def _require_club(organisation: Organisation) -> None:
    if organisation.kind != Organisation.Kind.CLUB:
        raise errors.NotAClubProvider()


def section_create(
    *,
    actor: Any,
    organisation: Organisation,
    name: str,
    kind: str,
    age_min_months: int,
    age_max_months: int,
    language: str,
    capacity: int,
    schedule: str = "",
    monthly_price: int | None = None,
    address: str = "",
) -> Group:
    """Open a club section, waiting for an officer's approval (rule: the provider's staff or its district's officer)."""
    require_organisation(actor, organisation)
    _require_club(organisation)
    if kind not in SECTION_KINDS:
        raise errors.InvalidValue(field="kind")
    details = _clean_details({"schedule": schedule, "monthly_price": monthly_price, "address": address})
    with transaction.atomic():
        section = group_create(
            actor=actor, organisation=organisation, name=name, kind=kind, age_min_months=age_min_months,
            age_max_months=age_max_months, language=language, capacity=capacity,
        )
        for key, value in details.items():
            setattr(section, key, value)
        section.is_approved = False
        section.save(update_fields=[*details, "is_approved"])
        audit_record(actor=actor, action="vouchers.section.details", obj=section, after=section_snapshot(section))
    return section


def section_update(*, actor: Any, section: Group, **changes: Any) -> Group:
    """Change a section's details (rule: its provider's staff or its district's officer; capacity not below enrolled)."""
    unknown = set(changes) - set(GROUP_FIELDS) - set(SECTION_FIELDS)
    if unknown:
        raise TypeError(f"these fields cannot be changed here: {sorted(unknown)}")
    if "kind" in changes and changes["kind"] not in SECTION_KINDS:
        raise errors.InvalidValue(field="kind")
    details = _clean_details({k: v for k, v in changes.items() if k in SECTION_FIELDS})
    base = {k: v for k, v in changes.items() if k in GROUP_FIELDS}
    with transaction.atomic():
        locked = Group.objects.select_for_update().select_related("organisation").get(pk=section.pk)
        require_organisation(actor, locked.organisation)
        _require_club(locked.organisation)
        if "capacity" in base and isinstance(base["capacity"], int) and base["capacity"] < locked.enrolled:
            raise errors.InvalidValue(field="capacity")
        if base:
            locked = group_update(actor=actor, group=locked, **base)
        before = section_snapshot(locked)
        for key, value in details.items():
            setattr(locked, key, value)
        after = section_snapshot(locked)
        if after != before:
            locked.save(update_fields=list(details))
            audit_record(actor=actor, action="vouchers.section.details", obj=locked, before=before, after=after)
    return locked


def section_approve(*, actor: Any, section: Group) -> Group:
    """Approve a new section so parents see it (rule: an officer of the provider's district)."""
    with transaction.atomic():
        locked = Group.objects.select_for_update().select_related("organisation").get(pk=section.pk)
        require_district(actor, locked.organisation.district_id)
        if locked.is_approved:
            raise errors.SectionAlreadyApproved()
        locked.is_approved = True
        locked.save(update_fields=["is_approved"])
        audit_record(actor=actor, action="vouchers.section.approve", obj=locked, before={"is_approved": False},
                     after={"is_approved": True})
    return locked
