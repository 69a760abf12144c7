import pytest

from tests.factories.accounts import make_admin, make_officer
from tests.factories.geo import district
from tests.factories.people import make_person

pytestmark = pytest.mark.django_db


def test_an_officer_sees_only_the_people_of_their_district(client):
    mine = make_person(district=district("astana-yesil"), last_name="Менікі")
    other = make_person(district=district("astana-nura"), last_name="Басқаныкі")
    client.force_login(make_officer(district=district("astana-yesil")))

    listing = client.get("/admin/people/person/")
    assert listing.status_code == 200
    assert mine.iin in listing.content.decode() and other.iin not in listing.content.decode()
    assert client.get(f"/admin/people/person/{other.pk}/change/").status_code == 302


def test_registry_data_cannot_be_edited_in_the_admin(client):
    person = make_person(district=district("astana-yesil"))
    client.force_login(make_admin())

    assert client.get(f"/admin/people/person/{person.pk}/change/").status_code == 200
    response = client.post(f"/admin/people/person/{person.pk}/change/", {"last_name": "Changed"})
    assert response.status_code == 403
    person.refresh_from_db()
    assert person.last_name != "Changed"
    assert client.get("/admin/people/person/add/").status_code == 403
