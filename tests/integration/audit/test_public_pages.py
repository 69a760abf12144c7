"""Public checkpoint list, its downloads and API, and the public timeline: no sign-in, no personal data."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.db import transaction
from django.utils import timezone

from kezek.audit.models import AuditCheckpoint
from kezek.audit.public import PUBLIC_ACTIONS, public_action, public_summary
from kezek.audit.services import audit_checkpoint_publish, audit_record
from kezek.audit.views import CHECKPOINTS_PER_PAGE, EVENTS_PER_PAGE
from tests.factories.audit import audit_events_record

pytestmark = pytest.mark.django_db

# What a careless service might put in an event: none of it may reach a public page.
PERSONAL = {
    "iin": "150101500123", "child_iin": "150101500124", "full_name": "Айгерім Сейітқызы", "name": "Ерлан Болатұлы",
    "birth_date": "2015-01-01", "phone": "+77011234567", "actor": "officer@example.kz",
}


def record(action: str, *, before: dict | None = None, after: dict | None = None, object_id: int = 1):
    with transaction.atomic():
        return audit_record(actor=None, action=action, object_type="rounds.round", object_id=object_id,
                            before=before, after=after)


def body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode()


def make_checkpoints(n: int) -> None:
    for seq in range(1, n + 1):
        AuditCheckpoint(seq=seq, hash=f"{seq:064x}", created_at=timezone.now()).save(force_insert=True)


def test_checkpoint_page_lists_newest_first_and_pages_without_sign_in(client):
    make_checkpoints(CHECKPOINTS_PER_PAGE + 2)
    first = client.get("/transparency/checkpoints/")
    assert first.status_code == 200
    assert [r["seq"] for r in first.context["rows"]][:2] == [CHECKPOINTS_PER_PAGE + 2, CHECKPOINTS_PER_PAGE + 1]
    assert 'href="/transparency/checkpoints.json"' in body(first) and 'href="/transparency/checkpoints.csv"' in body(first)
    second = client.get("/transparency/checkpoints/", {"page": 2})
    assert [r["seq"] for r in second.context["rows"]] == [2, 1]
    assert client.get("/transparency/checkpoints/", {"page": "junk"}).status_code == 200


def test_downloads_and_api_publish_the_documented_format(client):
    audit_events_record(2)
    checkpoint, _ = audit_checkpoint_publish()
    expected = [{"seq": 2, "hash": checkpoint.hash, "created_at": checkpoint.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")}]
    as_json = client.get("/transparency/checkpoints.json")
    assert as_json["Content-Type"] == "application/json"
    assert as_json["Content-Disposition"] == 'attachment; filename="kezek-checkpoints.json"'
    assert json.loads(body(as_json)) == expected
    as_csv = client.get("/transparency/checkpoints.csv")
    assert as_csv["Content-Type"] == "text/csv; charset=utf-8"
    assert list(csv.DictReader(io.StringIO(body(as_csv)))) == [{k: str(v) for k, v in expected[0].items()}]
    api = client.get("/api/v1/audit/checkpoints")
    assert api.status_code == 200 and json.loads(body(api)) == expected
    assert json.loads(body(client.get("/api/v1/audit/checkpoints", {"after_seq": 2}))) == []


def test_empty_checkpoint_list_downloads_as_an_empty_list(client):
    assert json.loads(body(client.get("/transparency/checkpoints.json"))) == []
    assert body(client.get("/transparency/checkpoints.csv")) == "seq,hash,created_at\r\n"
    assert "No checkpoint has been published yet." in body(client.get("/transparency/checkpoints/", HTTP_ACCEPT_LANGUAGE="en"))


@pytest.mark.parametrize("after_seq", ["-1", "x", str(2**63)])
def test_api_refuses_a_bad_after_seq_with_problem_json(client, after_seq):
    response = client.get("/api/v1/audit/checkpoints", {"after_seq": after_seq})
    assert response.status_code == 422 and response.json()["code"] == "validation_error"


def test_checkpoint_pages_and_downloads_show_only_seq_hash_and_time(client):
    with transaction.atomic():
        audit_record(actor=None, action="people.person.create", object_type="people.person", object_id=PERSONAL["iin"],
                     after=PERSONAL)
    audit_checkpoint_publish()
    for url in ("/transparency/checkpoints/", "/transparency/checkpoints.json", "/transparency/checkpoints.csv",
                "/api/v1/audit/checkpoints"):
        text = body(client.get(url))
        assert not [value for value in PERSONAL.values() if value in text], url


def test_timeline_shows_public_actions_with_safe_fields_only(client):
    record("round.announced", after={"code": "R-7", "title": "Spring round", "runs_at": "2027-03-01T05:00:00+00:00",
                                     "seed_commitment": "c" * 64, **PERSONAL, "applicants": [{"iin": PERSONAL["iin"]}]})
    record("round.place_changed", before={"places": 10, **PERSONAL}, after={"places": 12, "reason": "A new group opened", **PERSONAL})
    record("applications.application.submit", after={"note": "private application"})
    with transaction.atomic():
        audit_record(actor=None, action="round.ran", object_type="rounds.round", object_id=1, after={"seed_hex": "ab" * 32})
    response = client.get("/transparency/timeline/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    text = body(response)
    assert [str(r["label"]) for r in response.context["rows"]] == [
        "Allocation round run", "Places of a round changed", "Allocation round announced",
    ]
    assert "Spring round" in text and "R-7" in text and "c" * 64 in text and "ab" * 32 in text
    assert "<del>10</del> → <span>12</span>" in text and "A new group opened" in text
    assert "private application" not in text
    assert not [value for value in PERSONAL.values() if value in text]


def test_timeline_pages_by_seq_and_ignores_a_bad_cursor(client):
    for i in range(EVENTS_PER_PAGE + 3):
        record("incident.recorded", after={"title": f"incident {i}"}, object_id=i)
    first = client.get("/transparency/timeline/")
    assert len(first.context["rows"]) == EVENTS_PER_PAGE and first.context["older"] is not None
    second = client.get("/transparency/timeline/", {"before": first.context["older"]})
    assert [r["summary"][0]["value"] for r in second.context["rows"]] == ["incident 2", "incident 1", "incident 0"]
    assert second.context["older"] is None
    for junk in ("x", "-5", "9" * 40):
        assert client.get("/transparency/timeline/", {"before": junk}).context["rows"] == first.context["rows"]


def test_checkpoints_appear_on_the_timeline(client):
    audit_events_record(1)
    checkpoint, _ = audit_checkpoint_publish()
    text = body(client.get("/transparency/timeline/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "Audit checkpoint published" in text and checkpoint.hash in text


def test_summary_keeps_only_listed_plain_fields_and_new_actions_can_be_published():
    assert public_summary("not.public", None, {"title": "x"}) == []
    assert public_summary("round.ran", "garbage", ["also garbage"]) == []
    long = public_summary("incident.recorded", None, {"summary": "x" * 1000, "kind": {"nested": PERSONAL}, "status": True})
    assert [(r["name"], len(r["value"])) for r in long] == [("summary", 300), ("status", 4)]
    removed = public_summary("round.place_changed", {"places": 3}, None)
    assert removed == [{"name": "places", "label": removed[0]["label"], "value": "3", "previous": None}]
    try:
        public_action("test.published", label="Published for a test", fields=("title",))
        assert [r["value"] for r in public_summary("test.published", None, {"title": "T", "iin": PERSONAL["iin"]})] == ["T"]
    finally:
        PUBLIC_ACTIONS.pop("test.published")
