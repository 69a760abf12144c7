"""The civil registry as Kezek sees it: a small read-only port over the national databases.

Services ask ``get_registry()`` and never query people tables for identity questions directly, so
the backend (the imported extract today, a live state-database gateway later) can change in one place.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from kezek.people.models import BenefitFact, LegalRepresentation, Person


@dataclass(frozen=True)
class RegistryPerson:
    """A person as the registry reports them (a value, not a model)."""

    iin: str
    last_name: str
    first_name: str
    patronymic: str
    birth_date: dt.date
    sex: str
    phone: str
    district_code: str

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.patronymic) if p)


class Registry(Protocol):
    def person_by_iin(self, iin: str) -> RegistryPerson | None: ...

    def person_by_phone(self, phone_e164: str) -> RegistryPerson | None: ...

    def children_of(self, adult_iin: str) -> list[RegistryPerson]: ...

    def is_legal_representative(self, *, adult_iin: str, child_iin: str) -> bool: ...

    def benefits_of(self, iin: str, *, on: dt.date | None = None) -> set[str]: ...


_PERSON_FIELDS = ("iin", "last_name", "first_name", "patronymic", "birth_date", "sex", "phone", "district__code")


def _value(row: dict) -> RegistryPerson:
    return RegistryPerson(
        iin=row["iin"],
        last_name=row["last_name"],
        first_name=row["first_name"],
        patronymic=row["patronymic"],
        birth_date=row["birth_date"],
        sex=row["sex"],
        phone=row["phone"],
        district_code=row["district__code"] or "",
    )


class DatabaseRegistry:
    """The registry extract imported into the people tables (``registry_import``)."""

    def person_by_iin(self, iin: str) -> RegistryPerson | None:
        row = Person.objects.filter(iin=iin).values(*_PERSON_FIELDS).first()
        return _value(row) if row else None

    def person_by_phone(self, phone_e164: str) -> RegistryPerson | None:
        """The one person holding this mobile number; None when nobody or (never after an import) several do."""
        if not phone_e164:
            return None
        rows = list(Person.objects.filter(phone=phone_e164).values(*_PERSON_FIELDS)[:2])
        return _value(rows[0]) if len(rows) == 1 else None

    def children_of(self, adult_iin: str) -> list[RegistryPerson]:
        rows = (
            Person.objects.filter(representative_links__representative__iin=adult_iin)
            .order_by("birth_date", "iin")
            .values(*_PERSON_FIELDS)
        )
        return [_value(row) for row in rows]

    def is_legal_representative(self, *, adult_iin: str, child_iin: str) -> bool:
        return LegalRepresentation.objects.filter(representative__iin=adult_iin, child__iin=child_iin).exists()

    def benefits_of(self, iin: str, *, on: dt.date | None = None) -> set[str]:
        """Benefit kinds in force on ``on`` (today by default)."""
        return self.benefits_of_many([iin], on=on)

    def benefits_of_many(self, iins, *, on: dt.date | None = None) -> set[str]:
        """``benefits_of`` for several people at once (e.g. a child and the applicant), in one read."""
        day = on or timezone.localdate()
        in_force = (Q(valid_from__isnull=True) | Q(valid_from__lte=day)) & (Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        return set(BenefitFact.objects.filter(in_force, person__iin__in=list(iins)).values_list("kind", flat=True))


BACKENDS = {"database": DatabaseRegistry}


def get_registry() -> Registry:
    """The registry backend named by ``KEZEK_REGISTRY_BACKEND`` ("database" or a dotted class path)."""
    name = settings.KEZEK_REGISTRY_BACKEND
    backend = BACKENDS.get(name) or import_string(name)
    return backend()
