"""The dashboard's rounds, campaigns, upcoming openings, queue history and their open-data downloads."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from kezek.transparency.models import QueueSnapshot
from kezek.transparency.services import queue_snapshot_take
from tests.factories.applications import make_application
from tests.factories.rounds import announced_round
from tests.factories.vouchers import make_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _region_page(client):
    return client.get(reverse("transparency:region", kwargs={"region_code": "astana"}))


def test_announced_round_and_campaign_show_with_the_notice_they_gave(client):
    round, _ = announced_round(groups=2, places=3)
    campaign = make_campaign(quota=40, first_stage_in=dt.timedelta(days=2))

    response = _region_page(client)

    [listed_round] = response.context["rounds"]
    assert (listed_round["code"], listed_round["places"], listed_round["offered"]) == (round.code, 6, 0)
    assert listed_round["notice_hours"] == pytest.approx((round.runs_at - round.announced_at).total_seconds() / 3600, abs=0.1)
    [listed_campaign] = response.context["campaigns"]
    assert (listed_campaign["quota"], listed_campaign["issued"], listed_campaign["remaining"]) == (40, 0, 40)
    kinds = [item["kind"] for item in response.context["upcoming"]]
    assert kinds == ["round", "voucher_stage"] or kinds == ["voucher_stage", "round"]
    assert round.title in response.content.decode() and campaign.title in response.content.decode()


def test_drafts_are_not_public(client):
    make_campaign(announce=False)
    response = _region_page(client)
    assert response.context["campaigns"] == [] and response.context["upcoming"] == []


def test_rounds_and_campaigns_download_as_csv_and_json(client):
    round, _ = announced_round(places=2)
    make_campaign(quota=12)

    rounds_csv = client.get(reverse("transparency:activity-download", args=["astana", "rounds", "csv"]))
    campaigns_json = client.get(reverse("transparency:activity-download", args=["astana", "campaigns", "json"]))

    [row] = list(csv.DictReader(io.StringIO(rounds_csv.content.decode())))
    assert (row["code"], row["district"], row["places"], row["offered"]) == (round.code, "astana-yesil", "2", "0")
    data = json.loads(campaigns_json.content)
    assert data["format"] == "kezek.open-data.campaigns/1" and data["rows"][0]["quota"] == 12
    assert client.get(reverse("transparency:activity-download", args=["astana", "people", "csv"])).status_code == 404
    assert client.get(reverse("transparency:activity-download", args=["atlantis", "rounds", "csv"])).status_code == 404


def test_queue_snapshot_is_taken_once_a_day_and_charted(client):
    for _ in range(6):
        make_application()
    today = timezone.localdate()

    assert queue_snapshot_take(day=today - dt.timedelta(days=1)) == 1
    make_application()
    assert queue_snapshot_take(day=today) == 1
    assert queue_snapshot_take(day=today) == 0  # the second run of the day changes nothing

    assert list(QueueSnapshot.objects.order_by("day").values_list("waiting", flat=True)) == [6, 7]
    history = _region_page(client).context["history"]
    assert [h["waiting"] for h, _bar in history] == [6, 7]


def test_appeals_and_phantom_flags_are_counted_by_kind_and_status(client):
    from kezek.appeals.models import Appeal
    from kezek.integrity.models import IntegrityFlag
    from tests.factories.accounts import make_officer
    from tests.factories.geo import district

    yesil = district()
    for i in range(6):
        IntegrityFlag.objects.create(kind="no_attendance", fingerprint=f"f{i}", subject=f"s{i}", evidence={}, district=yesil)
    IntegrityFlag.objects.create(
        kind="two_vouchers", fingerprint="g", subject="g", evidence={}, district=yesil, status="confirmed",
        reviewer=make_officer(yesil), reviewed_at=timezone.now(),
    )

    integrity = _region_page(client).context["integrity"]

    assert [(r["kind"], r["statuses"]) for r in integrity["flags"]] == [
        ("no_attendance", [6, 0, 0]), ("two_vouchers", [0, None, 0]),
    ]
    assert integrity["appeals"] == [] and integrity["disputes"] == [0, 0, 0]
    assert Appeal.Status.values == integrity["appeal_statuses"]
