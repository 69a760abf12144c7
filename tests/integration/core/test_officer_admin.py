"""The back office shows the new apps' records read-only, to officers and administrators only."""

import pytest

from tests.factories.accounts import make_admin, make_officer, make_provider_staff
from tests.factories.organisations import make_organisation

pytestmark = pytest.mark.django_db

PAGES = [
    "/admin/vouchers/vouchercampaign/", "/admin/attendance/session/", "/admin/appeals/appeal/",
    "/admin/integrity/integrityflag/", "/admin/payments/statement/",
]


@pytest.mark.parametrize("page", PAGES)
def test_officers_and_administrators_look_but_nobody_adds(client, page):
    for user in (make_officer(), make_admin()):
        client.force_login(user)
        assert client.get(page).status_code == 200
        assert client.get(page + "add/").status_code == 403
    client.force_login(make_provider_staff(make_organisation()))
    assert client.get(page).status_code in (302, 403)
