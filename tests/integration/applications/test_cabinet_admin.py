"""The back office's read-only view of applications, scoped to the officer's district."""

import pytest

from kezek.applications.models import Application
from tests.factories.accounts import make_admin, make_officer, make_provider_staff
from tests.factories.applications import make_application
from tests.factories.geo import district
from tests.factories.organisations import make_organisation

pytestmark = pytest.mark.django_db
LIST = "/admin/applications/application/"


def test_an_officer_sees_only_the_applications_of_their_district(client):
    mine = make_application(district="astana-yesil")
    other = make_application(district="astana-nura")
    client.force_login(make_officer(district=district("astana-yesil")))

    listing = client.get(LIST)
    assert listing.status_code == 200
    page = listing.content.decode()
    assert mine.public_id in page and other.public_id not in page
    assert client.get(f"{LIST}{mine.pk}/change/").status_code == 200
    assert client.get(f"{LIST}{other.pk}/change/").status_code == 302


def test_applications_cannot_be_changed_in_the_admin(client):
    app = make_application(with_event=True)
    client.force_login(make_admin())

    assert client.get(f"{LIST}{app.pk}/change/").status_code == 200
    assert client.post(f"{LIST}{app.pk}/change/", {"status": "withdrawn"}).status_code == 403
    app.refresh_from_db()
    assert app.status == "active"
    assert client.get(f"{LIST}add/").status_code == 403
    assert client.post(f"{LIST}{app.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Application.objects.filter(pk=app.pk).exists()


def test_provider_staff_with_back_office_access_see_no_queue(client):
    app = make_application(district="astana-yesil")
    staff = make_provider_staff(make_organisation(district="astana-yesil"))
    staff.is_staff = True
    staff.save()
    client.force_login(staff)
    listing = client.get(LIST)
    assert listing.status_code == 200 and app.public_id not in listing.content.decode()
    assert client.get(f"{LIST}{app.pk}/change/").status_code == 302
