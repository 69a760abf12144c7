"""Accounts for tests: a parent bound to a registry person, and staff with a known password."""

from __future__ import annotations

import datetime as dt
import itertools
import secrets

from kezek.accounts.models import Role, User

STAFF_PASSWORD = "demo-pass-123!"

_serials = itertools.count(secrets.randbelow(5000))
_phones = itertools.count(secrets.randbelow(9_000_000) + 1_000_000)


def unique_kz_mobile() -> str:
    """A valid Kazakhstan mobile number (+7 701 …) not used by any other factory call in this run."""
    return f"+7701{next(_phones) % 10_000_000:07d}"


def _make_person(*, phone: str = "", birth_date: dt.date = dt.date(1988, 7, 1), sex: str = "F"):
    from kezek.domain.iin import build_iin
    from kezek.people.models import Person

    iin = None
    while iin is None or Person.objects.filter(iin=iin).exists():
        iin = build_iin(birth_date, sex, next(_serials) % 10_000)
    return Person.objects.create(
        iin=iin, last_name="Ахметова", first_name="Айгерим", patronymic="Серикқызы",
        birth_date=birth_date, sex=sex, phone=phone,
    )


def make_adult_person(*, phone: str | None = None, birth_date: dt.date = dt.date(1988, 7, 1)):
    """An adult in the registry with a mobile number (a parent who has not signed in yet)."""
    return _make_person(phone=phone if phone is not None else unique_kz_mobile(), birth_date=birth_date)


def make_parent(person=None) -> User:
    """A parent's account bound to a registry person, as after the first SMS sign-in."""
    person = person or make_adult_person()
    user = User(username=person.phone or f"iin{person.iin}", role=Role.PARENT, person=person, display_name=person.full_name)
    user.set_unusable_password()
    user.save()
    return user


def _make_staff(*, role: str, prefix: str, **fields) -> User:
    return User.objects.create_user(
        username=f"{prefix}-{secrets.token_hex(4)}", password=STAFF_PASSWORD, role=role, display_name=prefix.title(), **fields
    )


def make_officer(district=None) -> User:
    """An education department officer of ``district`` (Astana's Yesil district if none)."""
    from tests.factories.geo import district as reference_district

    return _make_staff(role=Role.OFFICER, prefix="officer", district=district or reference_district(), is_staff=True)


def make_provider_staff(organisation) -> User:
    """A staff member of ``organisation``."""
    return _make_staff(role=Role.PROVIDER_STAFF, prefix="staff", organisation=organisation)


def make_admin() -> User:
    """An administrator (acts everywhere, may use the back office)."""
    return _make_staff(role=Role.ADMIN, prefix="admin", is_staff=True)
