import datetime as dt

import pytest

from tests.factories.accounts import make_officer, make_parent
from tests.factories.people import add_benefit, make_family, make_person

pytestmark = pytest.mark.django_db
URL = "/api/v1/people/me/children"


def test_a_parent_sees_only_their_own_children(client):
    parent, (older, younger) = make_family(children=2, child_birth_dates=[dt.date(2020, 1, 10), dt.date(2022, 6, 1)])
    add_benefit(younger, "large_family")
    make_family(children=1)  # another family's child must not appear
    client.force_login(make_parent(parent))
    response = client.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert [c["iin"] for c in body] == [older.iin, younger.iin]
    assert body[1]["benefits"] == ["large_family"] and body[0]["benefits"] == []
    assert body[0]["birth_date"] == "2020-01-10" and body[0]["full_name"] == older.full_name


def test_an_adult_without_children_gets_an_empty_list(client):
    client.force_login(make_parent(make_person(phone="+77029999999")))
    assert client.get(URL).json() == []


def test_staff_without_a_registry_person_is_refused(client):
    client.force_login(make_officer())
    response = client.get(URL)
    assert response.status_code == 403 and response.json()["code"] == "not_a_registry_person"


def test_anonymous_is_refused(client):
    assert client.get(URL).status_code == 401
