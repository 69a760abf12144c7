"""Persons, families and benefit facts for tests, with unique valid IINs and phones."""

from __future__ import annotations

import datetime as dt
import itertools

from kezek.domain.iin import build_iin
from kezek.people.models import BenefitFact, LegalRepresentation, Person

_serials = itertools.count(1)
_phones = itertools.count(1)


def unique_iin(birth_date: dt.date, sex: str) -> str:
    """A valid IIN for this birth date and sex that no person in the database has yet."""
    while True:
        iin = build_iin(birth_date, sex, next(_serials) % 10000)
        if iin and not Person.objects.filter(iin=iin).exists():
            return iin


def unique_phone() -> str:
    """A valid Kazakhstan mobile number (+7 702…) that no person in the database has yet."""
    while True:
        phone = f"+7702{next(_phones) % 10_000_000:07d}"
        if not Person.objects.filter(phone=phone).exists():
            return phone


def make_person(*, birth_date: dt.date | None = None, sex: str = "M", phone: str = "", district=None, **names) -> Person:
    birth_date = birth_date or dt.date(1990, 5, 15)
    return Person.objects.create(
        iin=unique_iin(birth_date, sex),
        last_name=names.pop("last_name", "Ахметов" if sex == "M" else "Ахметова"),
        first_name=names.pop("first_name", "Ерлан" if sex == "M" else "Айгүл"),
        patronymic=names.pop("patronymic", ""),
        birth_date=birth_date,
        sex=sex,
        phone=phone,
        district=district,
        **names,
    )


def make_family(*, children: int = 2, child_birth_dates: list[dt.date] | None = None, district=None):
    """A parent with a phone and their children, linked as the registry links them: ``(parent, [children])``."""
    dates = child_birth_dates or [dt.date(2021, 3, 1) + dt.timedelta(days=400 * i) for i in range(children)]
    parent = make_person(sex="F", birth_date=dt.date(1990, 5, 15), phone=unique_phone(), district=district)
    kids = [
        make_person(birth_date=day, sex="M" if i % 2 == 0 else "F", district=district, first_name=f"Бала{i + 1}")
        for i, day in enumerate(dates)
    ]
    LegalRepresentation.objects.bulk_create(LegalRepresentation(representative=parent, child=kid) for kid in kids)
    return parent, kids


def add_benefit(person: Person, kind: str, **dates) -> BenefitFact:
    return BenefitFact.objects.create(person=person, kind=kind, **dates)
