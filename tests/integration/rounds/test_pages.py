"""Rounds pages and API: the public list and page, downloads of the exact bytes, and the officers' pages."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kezek.core.worker import run_until_idle
from kezek.rounds.models import Round, RoundRun
from kezek.rounds.services import round_place_change
from tests.factories.accounts import make_officer, make_parent
from tests.factories.applications import make_application
from tests.factories.geo import district
from tests.factories.organisations import make_group
from tests.factories.rounds import add_place, announced_round, make_round, run_round

pytestmark = pytest.mark.django_db


def client_for(user=None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def _ran_round():
    round, (place,) = announced_round(places=2)
    application = make_application(preferences=[place.group.organisation])
    run = run_round(round)
    round.refresh_from_db()
    return round, place, application, run


# --- public pages ---------------------------------------------------------------------------------


def test_public_list_shows_announced_rounds_but_never_drafts():
    announced, _ = announced_round()
    draft = make_round()
    page = client_for().get(reverse("rounds:public-list"))
    assert page.status_code == 200
    assert announced.title in page.content.decode() and draft.title not in page.content.decode()
    assert client_for().get(reverse("rounds:public-detail", args=[draft.code])).status_code == 404


def test_public_page_shows_places_changes_with_reasons_and_the_commitment_but_not_the_seed():
    round, (place,) = announced_round(places=3)
    round_place_change(officer=round.created_by, place=place, places=2, frees_on=place.frees_on, reason="Room under repair")
    html = client_for().get(reverse("rounds:public-detail", args=[round.code])).content.decode()
    assert place.group.organisation.name in html and place.group.name in html and place.allocation_id in html
    assert "01.09.2026" in html  # the date the place frees up
    assert "Room under repair" in html and "3 → 2" in html
    assert round.seed_commitment in html and round.seed_hex not in html
    assert "kezek allocate" not in html
    assert client_for().get(reverse("rounds:public-input", args=[round.code])).status_code == 404


def test_after_the_run_the_page_reveals_the_seed_and_serves_the_exact_published_bytes():
    round, place, application, run = _ran_round()
    html = client_for().get(reverse("rounds:public-detail", args=[round.code])).content.decode()
    assert round.seed_hex in html and round.seed_commitment in html
    assert run.input_sha256 in html and run.result_sha256 in html
    assert "kezek allocate round-input.json mine.json --reproducible && cmp mine.json round-result.json" in html
    assert "sha256sum" in html and "pip install kezek" in html
    for name, stored, digest in (("public-input", run.input_json, run.input_sha256), ("public-result", run.result_json, run.result_sha256)):
        response = client_for().get(reverse(f"rounds:{name}", args=[round.code]))
        assert response.status_code == 200 and response["Content-Type"] == "application/json"
        assert response.content == stored.encode() and hashlib.sha256(response.content).hexdigest() == digest
    assert application.public_id in run.input_json and application.child.iin not in html


def test_api_lists_rounds_and_serves_a_round_and_its_data():
    round, place, application, run = _ran_round()
    draft = make_round()
    client = client_for()
    listed = client.get("/api/v1/rounds/").json()
    assert round.code in [r["code"] for r in listed] and draft.code not in [r["code"] for r in listed]
    body = client.get(f"/api/v1/rounds/{round.code}").json()
    assert (body["seed_hex"], body["seed_commitment"], body["input_sha256"]) == (round.seed_hex, round.seed_commitment, run.input_sha256)
    assert body["places"][0]["id"] == place.allocation_id and body["places"][0]["places"] == 2
    assert client.get(f"/api/v1/rounds/{round.code}/input").content == run.input_json.encode()
    assert client.get(f"/api/v1/rounds/{round.code}/result").content == run.result_json.encode()
    missing = client.get(f"/api/v1/rounds/{draft.code}")
    assert missing.status_code == 404 and missing["Content-Type"] == "application/problem+json"


def test_api_hides_the_seed_until_the_run():
    round, _ = announced_round()
    body = client_for().get(f"/api/v1/rounds/{round.code}").json()
    assert body["seed_hex"] is None and body["seed_commitment"] == round.seed_commitment and body["input_url"] is None
    assert client_for().get(f"/api/v1/rounds/{round.code}/input").status_code == 404


# --- officer pages --------------------------------------------------------------------------------


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_officer_creates_a_round_sets_places_and_announces_it():
    officer = make_officer()
    client = client_for(officer)
    runs_at = timezone.now() + dt.timedelta(days=3)
    response = client.post(reverse("rounds:officer-list"), {
        "district": officer.district_id, "title": "Summer 2026", "policy": "match", "tie_break": "lottery",
        "runs_at": _local(runs_at), "offers_close_at": _local(runs_at + dt.timedelta(days=3)),
        "open_to_all_at": _local(runs_at + dt.timedelta(days=4)),
    })
    round = Round.objects.get(title="Summer 2026")
    assert response.status_code == 302 and response["Location"] == reverse("rounds:officer-detail", args=[round.code])
    group = make_group(district=officer.district)
    response = client.post(reverse("rounds:officer-place", args=[round.code]),
                           {"group": group.pk, "age_group": 2022, "places": 4, "frees_on": "2026-09-01"})
    assert response.status_code == 302 and round.places.get().places == 4
    page = client.get(reverse("rounds:officer-detail", args=[round.code])).content.decode()
    assert group.organisation.name in page and "Announce the round" in page
    assert client.post(reverse("rounds:officer-announce", args=[round.code])).status_code == 302
    round.refresh_from_db()
    assert round.status == "announced" and round.seed_commitment


def test_short_notice_shows_the_earliest_allowed_time_on_the_page():
    round = make_round(runs_in=dt.timedelta(hours=2))
    add_place(round)
    response = client_for(round.created_by).post(reverse("rounds:officer-announce", args=[round.code]))
    assert response.status_code == 422
    html = response.content.decode()
    assert "at least 24 hours before it runs" in html and "or later" in html
    assert Round.objects.get(pk=round.pk).status == "draft"


def test_a_change_without_a_reason_is_refused_on_the_page():
    round, (place,) = announced_round(places=3)
    client = client_for(round.created_by)
    url = reverse("rounds:officer-change", args=[round.code])
    response = client.post(url, {"place": place.pk, "places": 2, "frees_on": "2026-09-01", "reason": ""})
    assert response.status_code == 422 and place.changes.count() == 0
    response = client.post(url, {"place": place.pk, "places": 2, "frees_on": "2026-09-01", "reason": "Fewer staff"})
    assert response.status_code == 302 and place.changes.get().reason == "Fewer staff"


def test_another_districts_officer_and_a_parent_cannot_open_or_act_on_a_round():
    round, _ = announced_round()
    outsider = client_for(make_officer(district("astana-almaty")))
    assert outsider.get(reverse("rounds:officer-detail", args=[round.code])).status_code == 403
    assert outsider.post(reverse("rounds:officer-run", args=[round.code])).status_code == 403
    assert client_for(make_parent()).get(reverse("rounds:officer-list")).status_code == 403
    assert round.code not in outsider.get(reverse("rounds:officer-list")).content.decode()
    assert not RoundRun.objects.exists()


def test_run_button_queues_the_run_and_the_progress_bar_polls_until_done():
    round, _ = announced_round()
    Round.objects.filter(pk=round.pk).update(runs_at=timezone.now() - dt.timedelta(minutes=1))
    client = client_for(round.created_by)
    assert client.post(reverse("rounds:officer-run", args=[round.code])).status_code == 302
    progress = client.get(reverse("rounds:officer-progress", args=[round.code])).content.decode()
    assert 'hx-trigger="every 1s"' in progress and "<progress" in progress and "waiting for a worker" in progress
    run_until_idle(["rounds.run_requested"])
    progress = client.get(reverse("rounds:officer-progress", args=[round.code])).content.decode()
    assert "hx-trigger" not in progress and "The round ran" in progress and 'value="100"' in progress
    page = client.get(reverse("rounds:officer-detail", args=[round.code])).content.decode()
    assert "Results" in page and RoundRun.objects.get(round=round).result_sha256 in page


def test_the_writing_stage_shows_an_indeterminate_bar(client):
    from django.template.loader import render_to_string

    from kezek.rounds.models import RoundRun
    from tests.factories.rounds import announced_round

    round, _ = announced_round()
    run = RoundRun(round=round, status="running", progress_stage="writing", progress_total=8000, requested_by=round.created_by)
    html = render_to_string("rounds/_run_progress.html", {"run": run, "round": round, "percent": 0, "stage_label": "writing"})
    assert "Writing 8000 offers in one transaction" in html and 'value="0"' not in html
