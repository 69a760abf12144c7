"""The appeals API: filing with documents (multipart), problem JSON on refusals, decisions, incidents."""

from __future__ import annotations

import datetime as dt
import json

from django.test import Client
from django.utils import timezone

from kezek.appeals.models import Appeal
from tests.factories.accounts import make_admin, make_parent
from tests.factories.applications import make_application

from .conftest import pdf


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post_json(client, path, data):
    return client.post(path, json.dumps(data), content_type="application/json")


def test_file_follow_and_decide_through_the_api(officer):
    application = make_application(status="inactive")
    parent = signed_in(application.applicant)
    form = {"kind": "lost_place", "subject_kind": "application", "subject_id": application.pk, "text": "Site was down"}
    response = parent.post("/api/v1/appeals", {**form, "files": [pdf()]})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["overdue"], len(body["documents"]), body["remedy"]) == ("open", False, 1, None)
    assert [a["id"] for a in parent.get("/api/v1/appeals/mine").json()] == [body["id"]]

    assert [a["id"] for a in signed_in(officer).get("/api/v1/appeals/officer").json()] == [body["id"]]
    refused = post_json(signed_in(officer), f"/api/v1/appeals/{body['id']}/decision", {"upheld": True, "reason": " "})
    assert refused.status_code == 422 and refused.json()["code"] == "appeal_reason_required"
    decided = post_json(signed_in(officer), f"/api/v1/appeals/{body['id']}/decision", {"upheld": True, "reason": "Site down"})
    assert decided.status_code == 200
    assert (decided.json()["status"], decided.json()["remedy"]["outcome"]) == ("upheld", "restored")
    again = post_json(signed_in(officer), f"/api/v1/appeals/{body['id']}/decision", {"upheld": False, "reason": "x"})
    assert again.status_code == 409 and again.json()["code"] == "appeal_not_open"


def test_refusals_are_problem_json_and_save_nothing(officer):
    application = make_application()
    stranger = signed_in(make_parent())
    form = {"kind": "lost_place", "subject_kind": "application", "subject_id": application.pk, "text": "mine!"}
    response = stranger.post("/api/v1/appeals", form)
    assert response.status_code == 422 and response.json()["code"] == "appeal_subject_not_found"
    bad = signed_in(application.applicant).post(
        "/api/v1/appeals", {**form, "files": [pdf(name="x.pdf", content=b"#!/bin/sh\nrm -rf /")]}
    )
    assert bad.status_code == 422 and bad.json()["code"] == "document_type_not_allowed"
    assert Client().get("/api/v1/appeals/mine").status_code == 401
    assert stranger.get("/api/v1/appeals/officer").status_code == 403
    assert not Appeal.objects.exists()


def test_incidents_through_the_api(officer):
    admin = signed_in(make_admin())
    now = timezone.now()
    window = {"starts_at": (now - dt.timedelta(hours=3)).isoformat(), "ends_at": (now - dt.timedelta(hours=1)).isoformat(),
              "description": "SMS gateway down"}
    assert post_json(signed_in(officer), "/api/v1/appeals/incidents", window).status_code == 403
    created = post_json(admin, "/api/v1/appeals/incidents", window)
    assert created.status_code == 201
    incident_id = created.json()["id"]
    items = admin.get(f"/api/v1/appeals/incidents/{incident_id}").json()
    assert (items["expired_offers"], items["cancelled_vouchers"], items["refused_claims_stored"]) == ([], [], False)
    assert admin.post(f"/api/v1/appeals/incidents/{incident_id}/restore").json() == {"outcomes": {}}
    assert admin.get("/api/v1/appeals/incidents/999999").json()["code"] == "incident_not_found"
