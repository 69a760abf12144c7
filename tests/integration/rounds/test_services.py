"""Rounds: creating, places, announcing with a committed seed, changes with reasons, and run requests."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.utils import timezone

from kezek.accounts.permissions import OutOfScope, RoleRequired
from kezek.audit.models import AuditEvent
from kezek.domain.lottery import check_commitment
from kezek.domain.rounds import NoticeTooShort, RoundTransitionNotAllowed, TimetableInvalid
from kezek.rounds.errors import (
    ChangeReasonRequired,
    GroupNotInDistrict,
    InvalidPlaces,
    NoPlaces,
    PlacesBelowTaken,
    RoundNotDraft,
    RunAlreadyRequested,
    RunTooEarly,
    RunTwice,
)
from kezek.rounds.models import Round, RoundChange, RoundPlace, RoundRun
from kezek.rounds.services import (
    round_announce,
    round_create,
    round_place_change,
    round_place_set,
    round_run_request,
    round_update,
)
from tests.factories.accounts import make_officer, make_parent
from tests.factories.geo import district
from tests.factories.organisations import make_group
from tests.factories.rounds import add_place, announced_round, make_round, run_round

pytestmark = pytest.mark.django_db


def _timetable(runs_in: dt.timedelta = dt.timedelta(days=2)) -> dict:
    runs_at = timezone.now() + runs_in
    return {"runs_at": runs_at, "offers_close_at": runs_at + dt.timedelta(days=3), "open_to_all_at": runs_at + dt.timedelta(days=3)}


def test_officer_creates_a_draft_round_in_their_district_and_it_is_audited():
    officer = make_officer()
    round = round_create(officer=officer, district=officer.district, title=" Summer 2026 ", policy="match",
                         tie_break="lottery", **_timetable())
    assert (round.status, round.title, round.seed_commitment, round.created_by) == ("draft", "Summer 2026", "", officer)
    assert AuditEvent.objects.filter(action="round.created", object_id=str(round.pk)).exists()


def test_timetable_out_of_order_is_refused_and_nothing_is_saved():
    officer = make_officer()
    times = _timetable()
    times["open_to_all_at"] = times["offers_close_at"] - dt.timedelta(minutes=1)
    with pytest.raises(TimetableInvalid):
        round_create(officer=officer, district=officer.district, title="T", policy="queue", tie_break="lottery", **times)
    times = _timetable()
    times["offers_close_at"] = times["runs_at"]
    with pytest.raises(TimetableInvalid):
        round_create(officer=officer, district=officer.district, title="T", policy="queue", tie_break="lottery", **times)
    assert not Round.objects.exists()


def test_another_districts_officer_and_a_parent_are_refused():
    officer = make_officer(district("astana-almaty"))
    with pytest.raises(OutOfScope):
        round_create(officer=officer, district=district(), title="T", policy="match", tie_break="lottery", **_timetable())
    with pytest.raises(RoleRequired):
        round_create(officer=make_parent(), district=district(), title="T", policy="match", tie_break="lottery", **_timetable())
    round = make_round()
    add_place(round)
    with pytest.raises(OutOfScope):
        round_announce(officer=officer, round=round)
    with pytest.raises(OutOfScope):
        add_place(round, officer=officer)
    assert Round.objects.get(pk=round.pk).status == "draft"


def test_places_only_in_the_districts_kindergartens_and_never_negative():
    round = make_round()
    with pytest.raises(GroupNotInDistrict):
        add_place(round, group=make_group(district="astana-almaty"))
    with pytest.raises(InvalidPlaces):
        add_place(round, places=-1)
    place = add_place(round, places=3)
    again = round_place_set(officer=round.created_by, round=round, group=place.group, age_group=place.age_group,
                            places=5, frees_on=dt.date(2026, 9, 2))
    assert (again.pk, again.places, again.frees_on) == (place.pk, 5, dt.date(2026, 9, 2))
    assert round_place_set(officer=round.created_by, round=round, group=place.group, age_group=place.age_group,
                           places=0, frees_on=dt.date(2026, 9, 2)) is None
    assert not RoundPlace.objects.filter(round=round).exists()


def test_announcing_with_short_notice_is_refused_naming_the_earliest_run_time():
    round = make_round(runs_in=dt.timedelta(hours=23))
    add_place(round)
    now = timezone.now()
    with pytest.raises(NoticeTooShort) as caught:
        round_announce(officer=round.created_by, round=round, now=now)
    assert caught.value.params["earliest"] == timezone.localtime(now + dt.timedelta(hours=24)).strftime("%d.%m.%Y %H:%M")
    assert caught.value.params["hours"] == 24
    round.refresh_from_db()
    assert (round.status, round.seed_commitment) == ("draft", "")


def test_lead_time_comes_from_the_setting(settings):
    settings.KEZEK_ROUND_LEAD_HOURS = 72
    round = make_round(runs_in=dt.timedelta(hours=48))
    add_place(round)
    with pytest.raises(NoticeTooShort):
        round_announce(officer=round.created_by, round=round)
    settings.KEZEK_ROUND_LEAD_HOURS = 1
    assert round_announce(officer=round.created_by, round=round).status == "announced"


def test_a_round_without_places_cannot_be_announced():
    round = make_round()
    with pytest.raises(NoPlaces):
        round_announce(officer=round.created_by, round=round)


def test_announcement_commits_to_a_secret_seed_and_freezes_the_places():
    round, (place,) = announced_round()
    assert round.status == "announced" and round.announced_at is not None
    assert round.seed_commitment == hashlib.sha256(bytes.fromhex(round.seed_hex)).hexdigest()
    assert check_commitment(round.seed_hex, round.seed_commitment) and not round.seed_revealed
    event = AuditEvent.objects.get(action="round.announced", object_id=str(round.pk))
    assert round.seed_hex not in str(event.after) and event.after["seed_commitment"] == round.seed_commitment
    with pytest.raises(RoundNotDraft):
        add_place(round, group=place.group, places=9)
    with pytest.raises(RoundNotDraft):
        round_update(officer=round.created_by, round=round, title="x", policy="match", tie_break="lottery", **_timetable())
    with pytest.raises(RoundTransitionNotAllowed):
        round_announce(officer=round.created_by, round=round)
    assert RoundPlace.objects.get(pk=place.pk).places == 1


def test_a_change_after_announcement_needs_a_reason_and_is_recorded_publicly():
    round, (place,) = announced_round(places=4)
    for reason in ("", "   "):
        with pytest.raises(ChangeReasonRequired):
            round_place_change(officer=round.created_by, place=place, places=3, frees_on=place.frees_on, reason=reason)
    changed = round_place_change(officer=round.created_by, place=place, places=3, frees_on=dt.date(2026, 10, 1),
                                 reason="A group room is under repair")
    assert (changed.places, changed.frees_on) == (3, dt.date(2026, 10, 1))
    rows = list(RoundChange.objects.filter(round=round).values_list("field", "old_value", "new_value", "reason"))
    assert rows == [("places", "4", "3", "A group room is under repair"),
                    ("frees_on", "2026-09-01", "2026-10-01", "A group room is under repair")]


def test_places_cannot_drop_below_those_already_taken():
    round, (place,) = announced_round(places=4)
    RoundPlace.objects.filter(pk=place.pk).update(taken=2)
    with pytest.raises(PlacesBelowTaken) as caught:
        round_place_change(officer=round.created_by, place=place, places=1, frees_on=place.frees_on, reason="fewer")
    assert caught.value.params == {"taken": 2}
    assert round_place_change(officer=round.created_by, place=place, places=2, frees_on=place.frees_on, reason="fewer").places == 2


def test_a_run_cannot_be_requested_before_the_announced_time():
    round, _ = announced_round()
    with pytest.raises(RunTooEarly):
        round_run_request(officer=round.created_by, round=round)
    assert not RoundRun.objects.exists()
    assert Round.objects.get(pk=round.pk).status == "announced"


def test_a_draft_cannot_run_and_a_queued_run_cannot_be_requested_again():
    draft = make_round()
    add_place(draft)
    with pytest.raises(RoundTransitionNotAllowed):
        round_run_request(officer=draft.created_by, round=draft, now=draft.runs_at)
    round, _ = announced_round()
    run = round_run_request(officer=round.created_by, round=round, now=round.runs_at)
    assert (run.status, Round.objects.get(pk=round.pk).status) == ("queued", "running")
    with pytest.raises(RunAlreadyRequested):
        round_run_request(officer=round.created_by, round=round, now=round.runs_at)
    with pytest.raises(OutOfScope):
        round_run_request(officer=make_officer(district("astana-almaty")), round=round, now=round.runs_at)


def test_a_round_cannot_run_twice():
    round, _ = announced_round()
    assert run_round(round).status == "done"
    with pytest.raises(RunTwice):
        round_run_request(officer=round.created_by, round=round, now=round.runs_at + dt.timedelta(days=1))
    assert RoundRun.objects.filter(round=round).count() == 1
