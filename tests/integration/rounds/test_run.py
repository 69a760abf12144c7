"""Running a round: one transaction or nothing, the seed revealed, the input and result published and re-runnable."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import subprocess

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F

from kezek.applications.models import Application
from kezek.core.worker import run_until_idle
from kezek.domain.lottery import check_commitment
from kezek.placements.models import Enrolment, Offer
from kezek.placements.services import offers as placement_offers
from kezek.rounds.models import Round, RoundPlace, RoundRun
from kezek.rounds.services import round_announce, round_run_request
from tests.factories.applications import make_application
from tests.factories.accounts import make_parent
from tests.factories.people import make_family
from tests.factories.rounds import add_place, make_round, run_round
from tests.subprocesses import kezek_command

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2024, 1, 10, 9, 0, tzinfo=dt.UTC)


def _round_with_queue(*, policy: str = "match", tie_break: str = "lottery"):
    """Two kindergartens with one place each and three children who chose both, the last with a sibling at the first."""
    round = make_round(policy=policy, tie_break=tie_break)
    place_a, place_b = add_place(round), add_place(round)
    kg_a, kg_b = place_a.group.organisation, place_b.group.organisation
    first = make_application(preferences=[kg_a, kg_b], registered_at=T0)
    second = make_application(preferences=[kg_a, kg_b], registered_at=T0 + dt.timedelta(days=1))
    parent, (older, younger) = make_family(children=2, child_birth_dates=[dt.date(2020, 5, 1), dt.date(2022, 4, 1)])
    applicant = make_parent(parent)
    older_app = make_application(child=older, applicant=applicant, status="enrolled", preferences=[kg_a])
    Enrolment.objects.create(child=older, group=place_a.group, application=older_app, started_on=dt.date(2024, 9, 1))
    sibling = make_application(child=younger, applicant=applicant, preferences=[kg_a, kg_b], registered_at=T0 + dt.timedelta(days=2))
    round = round_announce(officer=round.created_by, round=round)
    return round, (place_a, place_b), (first, second, sibling)


@pytest.fixture(autouse=True)
def english_terminal(monkeypatch):
    """``kezek round-run`` speaks the terminal's language; these tests read its English messages."""
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


def _status(*applications) -> list[str]:
    return list(Application.objects.filter(pk__in=[a.pk for a in applications]).order_by("pk").values_list("status", flat=True))


def test_a_run_publishes_input_and_result_reveals_the_seed_and_makes_the_offers():
    round, (place_a, place_b), (first, second, sibling) = _round_with_queue()
    run = run_round(round)
    round.refresh_from_db()
    assert (run.status, run.progress_stage, run.error) == ("done", "done", "")
    assert (round.status, round.seed_revealed) == ("ran", True)
    assert check_commitment(round.seed_hex, round.seed_commitment)
    assert run.input_sha256 == hashlib.sha256(run.input_json.encode()).hexdigest()
    assert run.result_sha256 == hashlib.sha256(run.result_json.encode()).hexdigest()
    document = json.loads(run.input_json)
    assert document["seed"] == round.seed_hex and document["policy"] == "match"
    assert {a["id"] for a in document["applicants"]} == {first.public_id, second.public_id, sibling.public_id}
    by_id = {a["id"]: a for a in document["applicants"]}
    # The sibling rule: first-priority class at the kindergarten the brother attends, nowhere else.
    assert by_id[sibling.public_id]["group_priority"] == {place_a.allocation_id: 1}
    assert "group_priority" not in by_id[first.public_id]
    assert first.child.iin not in run.input_json and sibling.child.iin not in run.input_json
    assignments = json.loads(run.result_json)["assignments"]
    assert assignments[sibling.public_id] == place_a.allocation_id
    offers = {o.application_id: o.place_id for o in Offer.objects.filter(round=round)}
    assert offers[sibling.pk] == place_a.pk and len(offers) == 2 and place_b.pk in offers.values()
    assert RoundPlace.objects.get(pk=place_a.pk).taken == 1


def _fail_after_offers(exc_factory):
    real = placement_offers.offers_create_for_round

    def failing(*, round, assignments, progress=None):
        made = real(round=round, assignments=assignments, progress=progress)
        assert made > 0 and Offer.objects.filter(round=round).count() == made  # the offers were written...
        exc_factory(round)  # ...and then something fails in the same transaction

    return failing


def _oversell(round):
    RoundPlace.objects.filter(round=round).update(taken=F("places") + 1)  # violates roundplace_no_oversell


def _crash(round):
    raise RuntimeError("the offers service crashed")


@pytest.mark.parametrize("failure", [_oversell, _crash], ids=["database-constraint", "exception"])
def test_a_failing_run_changes_nothing_and_may_be_requested_again(monkeypatch, failure):
    round, places, applications = _round_with_queue()
    monkeypatch.setattr(placement_offers, "offers_create_for_round", _fail_after_offers(failure))
    run = run_round(round)
    round.refresh_from_db()
    assert run.status == "failed" and run.error
    assert (run.input_json, run.result_json, run.input_sha256) == ("", "", "")
    assert (round.status, round.seed_revealed, round.ran_at) == ("announced", False, None)
    assert not Offer.objects.exists()
    assert _status(*applications) == ["active", "active", "active"]
    assert [p.taken for p in RoundPlace.objects.filter(round=round)] == [0, 0]

    monkeypatch.undo()
    again = run_round(round)
    assert (again.pk, again.status) == (run.pk, "done")
    assert Offer.objects.filter(round=round).count() == 2


def test_the_published_input_re_runs_to_the_identical_result_with_kezek_allocate(tmp_path):
    round, _, _ = _round_with_queue()
    run = run_round(round)
    (tmp_path / "round-input.json").write_bytes(run.input_json.encode())
    (tmp_path / "round-result.json").write_bytes(run.result_json.encode())
    env = {**os.environ, "KEZEK_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [*kezek_command(), "allocate", "round-input.json", "mine.json", "--reproducible"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "mine.json").read_bytes() == (tmp_path / "round-result.json").read_bytes()


def test_the_queue_policy_runs_with_the_regions_rotation():
    round, (place_a, place_b), (first, second, sibling) = _round_with_queue(policy="queue", tie_break="registered_at")
    run = run_round(round)
    document = json.loads(run.input_json)
    assert document["rotation"] == {"first_priority_class": 1, "general_class": 2, "first_priority": 1, "general": 3}
    assert all("group_priority" not in a for a in document["applicants"])
    # Queue order: the two earliest registrations get the two places, the first the first choice.
    assert json.loads(run.result_json)["assignments"] == {
        first.public_id: place_a.allocation_id, second.public_id: place_b.allocation_id, sibling.public_id: None,
    }
    assert _status(first, second, sibling) == ["offered", "offered", "active"]


def test_the_worker_executes_a_requested_run():
    round, _, _ = _round_with_queue()
    round_run_request(officer=round.created_by, round=round, now=round.runs_at)
    assert run_until_idle(["rounds.run_requested"]) >= 1
    run = RoundRun.objects.get(round=round)
    assert run.status == "done" and run.lease_owner
    assert Round.objects.get(pk=round.pk).status == "ran"
    assert run_until_idle(["rounds.run_requested"]) == 0  # nothing left: a round runs once


def test_the_command_runs_a_requested_round_with_a_progress_bar():
    round, _, _ = _round_with_queue()
    with pytest.raises(CommandError, match="Nobody has asked"):
        call_command("round-run", round.code, stdout=io.StringIO())
    round_run_request(officer=round.created_by, round=round, now=round.runs_at)
    out = io.StringIO()
    call_command("round-run", round.code, stdout=out)
    text = out.getvalue()
    assert "reading" in text and "solving" in text and "writing" in text and "100%" in text and "#" in text
    run = RoundRun.objects.get(round=round)
    assert run.status == "done" and run.result_sha256 in text
    with pytest.raises(CommandError, match="cannot run twice"):
        call_command("round-run", round.code, stdout=io.StringIO())


def test_a_child_whose_parent_works_at_a_kindergarten_gets_the_first_priority_class_there_only():
    from kezek.accounts.models import Role

    round = make_round(policy="match", tie_break="lottery")
    place_a, place_b = add_place(round), add_place(round)
    kg_a, kg_b = place_a.group.organisation, place_b.group.organisation
    parent, (child,) = make_family(children=1, child_birth_dates=[dt.date(2022, 4, 1)])
    staff = make_parent(parent)
    staff.role, staff.organisation = Role.PROVIDER_STAFF, kg_b
    staff.save(update_fields=["role", "organisation"])
    staff_child = make_application(child=child, applicant=staff, preferences=[kg_a, kg_b], registered_at=T0)
    other = make_application(preferences=[kg_a, kg_b], registered_at=T0)
    round = round_announce(officer=round.created_by, round=round)

    run = run_round(round)

    by_id = {a["id"]: a for a in json.loads(run.input_json)["applicants"]}
    assert by_id[staff_child.public_id]["group_priority"] == {place_b.allocation_id: 1}
    assert "group_priority" not in by_id[other.public_id]
