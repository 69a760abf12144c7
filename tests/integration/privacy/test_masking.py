"""Provider staff see children's IINs masked in every statement export and API answer; officers see them whole."""

from __future__ import annotations

import csv
import io
import json

from kezek.domain.iin import mask_iin
from kezek.vouchers.models import Voucher
from tests.factories.accounts import make_provider_staff
from tests.factories.vouchers import admission_token, make_campaign, make_club_section, make_voucher_family
from tests.integration.privacy.conftest import client_for, pdf_text
from tests.integration.vouchers.test_pages import opened


def _csv_iins(response) -> list[str]:
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    table = rows[rows.index([]) + 1:]
    column = table[0].index("Child's IIN")
    return [row[column] for row in table[1:]]


def test_provider_statement_exports_and_api_show_the_masked_iin(family):
    full, masked = family.child.iin, mask_iin(family.child.iin)
    client = client_for(family.staff)
    statement = family.statement.pk
    assert _csv_iins(client.get(f"/payments/{statement}/statement.csv")) == [masked]
    assert _csv_iins(client.get(f"/api/v1/payments/statements/{statement}/csv")) == [masked]
    pdf = pdf_text(client.get(f"/payments/{statement}/statement.pdf").content)
    assert masked in pdf and full not in pdf and family.child.first_name in pdf
    detail = client.get(f"/api/v1/payments/statements/{statement}")
    assert [line["child_iin"] for line in detail.json()["lines"]] == [masked]
    assert full not in detail.content.decode()
    page = client.get(f"/payments/{statement}/")
    assert page.status_code == 200 and full not in page.content.decode()


def test_officer_statement_exports_show_the_whole_iin(family):
    client = client_for(family.officer)
    statement = family.statement.pk
    assert _csv_iins(client.get(f"/payments/{statement}/statement.csv")) == [family.child.iin]
    assert family.child.iin in pdf_text(client.get(f"/payments/{statement}/statement.pdf").content)
    lines = client.get(f"/api/v1/payments/statements/{statement}").json()["lines"]
    assert [line["child_iin"] for line in lines] == [family.child.iin]


def _post(client, path, data=None, **headers):
    return client.post(path, json.dumps(data or {}), content_type="application/json", headers=headers)


def test_provider_accepting_a_voucher_sees_the_masked_iin_and_the_holder_the_whole(db):
    campaign = opened(make_campaign(quota=2))
    user, (child,) = make_voucher_family()
    parent = client_for(user)
    claimed = _post(parent, f"/api/v1/vouchers/campaigns/{campaign.pk}/stages/1/claim", {"child_iin": child.iin},
                    **{"Idempotency-Key": "k", "X-Rush-Token": admission_token(campaign, user)}).json()
    assert claimed["child_iin"] == child.iin
    section = make_club_section()
    _post(parent, f"/api/v1/vouchers/{claimed['id']}/place", {"section_id": section.pk, "accept_agreement": True})
    provider = client_for(make_provider_staff(section.organisation))
    accepted = _post(provider, f"/api/v1/vouchers/{claimed['id']}/accept")
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["child_iin"] == mask_iin(child.iin) and child.iin not in accepted.content.decode()
    assert Voucher.objects.get(pk=claimed["id"]).status == "active"
    assert parent.get("/api/v1/vouchers/mine").json()[0]["child_iin"] == child.iin


def test_provider_pages_never_print_a_whole_iin(family):
    client = client_for(family.staff)
    for path in ("/payments/", f"/payments/{family.statement.pk}/", "/attendance/"):
        response = client.get(path, follow=True)
        assert response.status_code == 200, path
        assert family.child.iin not in response.content.decode(), path
