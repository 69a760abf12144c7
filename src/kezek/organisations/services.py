"""Registering providers and their groups: validated, scoped to the actor's district, audited."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from kezek.accounts.permissions import require_district, require_organisation
from kezek.audit.services import audit_record
from kezek.domain.bin import parse_bin
from kezek.geo.models import District
from kezek.organisations.errors import (
    AlreadyApproved,
    BinTaken,
    InvalidAgeRange,
    InvalidCapacity,
    InvalidChoice,
    InvalidLanguages,
    RequiredField,
)
from kezek.organisations.models import Group, Language, Organisation

# Groups take children from birth (kindergartens) to 18 (clubs: the law's upper bound).
MAX_AGE_MONTHS = 18 * 12
ORGANISATION_FIELDS = ("kind", "ownership", "name", "bin", "district", "address", "languages")
GROUP_FIELDS = ("name", "kind", "age_min_months", "age_max_months", "language", "capacity", "is_active")


# --- validation -------------------------------------------------------------------------------------


def _text(value: Any, field: str) -> str:
    text = str(value or "").strip()
    if not text:
        raise RequiredField(field=field)
    return text


def _choice(value: Any, choices: type, field: str) -> str:
    if value not in choices.values:
        raise InvalidChoice(field=field, value=value)
    return str(value)


def _languages(value: Any) -> list[str]:
    """One or more of kk/ru/en, kept in the canonical order without repeats."""
    if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
        raise InvalidLanguages()
    chosen = set(value)
    if not chosen or not chosen <= set(Language.values):
        raise InvalidLanguages()
    return [code for code in Language.values if code in chosen]


def _bin(value: Any, *, exclude_pk: int | None = None) -> str:
    bin_ = parse_bin(str(value or ""))
    if Organisation.objects.filter(bin=bin_).exclude(pk=exclude_pk).exists():
        raise BinTaken(bin=bin_)
    return bin_


def _age_range(age_min: Any, age_max: Any) -> tuple[int, int]:
    params = {"age_min_months": age_min, "age_max_months": age_max, "limit": MAX_AGE_MONTHS}
    if not all(isinstance(a, int) and not isinstance(a, bool) for a in (age_min, age_max)):
        raise InvalidAgeRange(**params)
    if not 0 <= age_min <= age_max <= MAX_AGE_MONTHS:
        raise InvalidAgeRange(**params)
    return age_min, age_max


def _capacity(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidCapacity()
    return value


def _clean_organisation(values: dict[str, Any], *, pk: int | None) -> dict[str, Any]:
    cleaners = {
        "kind": lambda v: _choice(v, Organisation.Kind, "kind"),
        "ownership": lambda v: _choice(v, Organisation.Ownership, "ownership"),
        "name": lambda v: _text(v, "name"),
        "bin": lambda v: _bin(v, exclude_pk=pk),
        "district": lambda v: v,
        "address": lambda v: _text(v, "address"),
        "languages": _languages,
    }
    return {key: cleaners[key](value) for key, value in values.items()}


def _clean_group(values: dict[str, Any]) -> dict[str, Any]:
    cleaners = {
        "name": lambda v: _text(v, "name"),
        "kind": lambda v: _choice(v, Group.Kind, "kind"),
        "language": lambda v: _choice(v, Language, "language"),
        "capacity": _capacity,
        "is_active": bool,
    }
    cleaned = {key: cleaners[key](value) for key, value in values.items() if key in cleaners}
    if "age_min_months" in values or "age_max_months" in values:
        cleaned["age_min_months"], cleaned["age_max_months"] = _age_range(values["age_min_months"], values["age_max_months"])
    return cleaned


def _only(changes: dict[str, Any], allowed: tuple[str, ...]) -> None:
    if unknown := set(changes) - set(allowed):
        raise TypeError(f"these fields cannot be changed here: {sorted(unknown)}")


def organisation_snapshot(organisation: Organisation) -> dict[str, Any]:
    """The audited state of an organisation."""
    return {
        "kind": organisation.kind,
        "ownership": organisation.ownership,
        "name": organisation.name,
        "bin": organisation.bin,
        "district_id": organisation.district_id,
        "address": organisation.address,
        "languages": list(organisation.languages),
        "status": organisation.status,
    }


def group_snapshot(group: Group) -> dict[str, Any]:
    """The audited state of a group."""
    return {"organisation_id": group.organisation_id, **{f: getattr(group, f) for f in GROUP_FIELDS}}


def _save_unique_bin(organisation: Organisation, **kwargs: Any) -> None:
    # The BIN was checked above; a concurrent registration of the same BIN still ends here, not in a 500.
    try:
        with transaction.atomic():
            organisation.save(**kwargs)
    except IntegrityError:
        if Organisation.objects.filter(bin=organisation.bin).exclude(pk=organisation.pk).exists():
            raise BinTaken(bin=organisation.bin) from None
        raise


# --- organisations ----------------------------------------------------------------------------------


def organisation_create(
    *,
    actor: Any,
    kind: str,
    ownership: str,
    name: str,
    bin: str,
    district: District,
    address: str,
    languages: list[str],
) -> Organisation:
    """Register a provider, waiting for approval (rule: officers register providers of their own district)."""
    require_district(actor, district.pk)
    values = _clean_organisation(
        {"kind": kind, "ownership": ownership, "name": name, "bin": bin, "district": district,
         "address": address, "languages": languages},
        pk=None,
    )
    with transaction.atomic():
        organisation = Organisation(**values, status=Organisation.Status.PENDING)
        _save_unique_bin(organisation, force_insert=True)
        audit_record(actor=actor, action="organisations.organisation.create", obj=organisation,
                     after=organisation_snapshot(organisation))
    return organisation


def organisation_update(*, actor: Any, organisation: Organisation, **changes: Any) -> Organisation:
    """Change a provider's details (rule: only officers of its district, and only into their district)."""
    _only(changes, ORGANISATION_FIELDS)
    with transaction.atomic():
        locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
        require_district(actor, locked.district_id)
        if "district" in changes:
            require_district(actor, changes["district"].pk)
        values = _clean_organisation(changes, pk=locked.pk)
        before = organisation_snapshot(locked)
        for key, value in values.items():
            setattr(locked, key, value)
        after = organisation_snapshot(locked)
        if after != before:
            _save_unique_bin(locked)
            audit_record(actor=actor, action="organisations.organisation.update", obj=locked, before=before, after=after)
    return locked


def organisation_approve(*, actor: Any, organisation: Organisation) -> Organisation:
    """Approve a registered provider so it can take children (rule: an officer of its district approves)."""
    with transaction.atomic():
        locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
        require_district(actor, locked.district_id)
        if locked.status == Organisation.Status.APPROVED:
            raise AlreadyApproved()
        before = organisation_snapshot(locked)
        locked.status = Organisation.Status.APPROVED
        locked.save(update_fields=["status"])
        audit_record(actor=actor, action="organisations.organisation.approve", obj=locked, before=before,
                     after=organisation_snapshot(locked))
    return locked


# --- groups -----------------------------------------------------------------------------------------


def group_create(
    *,
    actor: Any,
    organisation: Organisation,
    name: str,
    kind: str,
    age_min_months: int,
    age_max_months: int,
    language: str,
    capacity: int,
) -> Group:
    """Open a group (rule: the provider's own staff or an officer of its district)."""
    require_organisation(actor, organisation)
    values = _clean_group(
        {"name": name, "kind": kind, "age_min_months": age_min_months, "age_max_months": age_max_months,
         "language": language, "capacity": capacity}
    )
    with transaction.atomic():
        group = Group.objects.create(organisation=organisation, **values)
        audit_record(actor=actor, action="organisations.group.create", obj=group, after=group_snapshot(group))
    return group


def group_update(*, actor: Any, group: Group, **changes: Any) -> Group:
    """Change a group's ages, language, capacity or status (rule: the provider's staff or its district's officer)."""
    _only(changes, GROUP_FIELDS)
    with transaction.atomic():
        locked = Group.objects.select_for_update().select_related("organisation").get(pk=group.pk)
        require_organisation(actor, locked.organisation)
        # The age range is checked as a whole, so a change to one end is checked against the other.
        if "age_min_months" in changes or "age_max_months" in changes:
            changes = {"age_min_months": locked.age_min_months, "age_max_months": locked.age_max_months, **changes}
        values = _clean_group(changes)
        before = group_snapshot(locked)
        for key, value in values.items():
            setattr(locked, key, value)
        after = group_snapshot(locked)
        if after != before:
            locked.save()
            audit_record(actor=actor, action="organisations.group.update", obj=locked, before=before, after=after)
    return locked
