"""Payment statements: a kindergarten and a club section of Astana Yesil with a month of sessions, their staff and
officers, and helpers that write attendance rows directly (the attendance services are tested in their own suite)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.test import Client
from django.utils import timezone

from kezek.attendance.models import Session
from kezek.domain.payments import previous_month
from kezek.organisations.models import Organisation
from tests.factories.accounts import make_officer, make_provider_staff
from tests.factories.attendance import make_session
from tests.factories.geo import district
from tests.factories.organisations import make_group, make_organisation
from tests.factories.people import make_person
from tests.factories.vouchers import make_club_section


@pytest.fixture(autouse=True)
def _db(db):
    """Every payments test uses the database."""


def last_month() -> dt.date:
    return previous_month(timezone.localdate())


@dataclass
class Provider:
    organisation: Organisation
    group: object
    sessions: list[Session]
    staff: object
    officer: object

    def child(self, name: str = "Айгерим"):
        return make_person(birth_date=dt.date(2021, 3, 1), first_name=name, last_name="Серікова")


def _provider(group, *, sessions: int) -> Provider:
    month = last_month()
    made = [make_session(group, day=month + dt.timedelta(days=2 + i)) for i in range(sessions)]
    return Provider(
        organisation=group.organisation, group=group, sessions=made, staff=make_provider_staff(group.organisation),
        officer=make_officer(group.organisation.district),
    )


@pytest.fixture
def kindergarten() -> Provider:
    """A kindergarten group with 4 sessions last month."""
    return _provider(make_group(organisation=make_organisation(name="Балбөбек", district=district())), sessions=4)


@pytest.fixture
def club() -> Provider:
    """A club section with 3 sessions last month."""
    return _provider(make_club_section(district=district(), name="Футбол"), sessions=3)


@pytest.fixture
def other_district_officer():
    return make_officer(district("astana-almaty"))


def client_for(user) -> Client:
    """A signed-in client that reads the pages in English."""
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client
