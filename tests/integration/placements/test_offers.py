"""Offers: made for a round's placements, answered only by the applicant, declined or expired and passed on."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

import kezek.placements.tasks  # noqa: F401  (registers the placements tasks with the worker)
from kezek.applications.models import Application, ApplicationEvent, RegionQueueRules
from kezek.audit.models import AuditEvent
from kezek.core.worker import run_until_idle
from kezek.domain.deadlines import contract_deadline, offer_deadline
from kezek.domain.errors import DomainError
from kezek.notifications.models import OutboxMessage
from kezek.placements.models import Offer, Referral
from kezek.placements.services.offers import (
    PlaceOversold,
    UnknownPlace,
    offer_accept,
    offer_decline,
    offers_create_for_round,
    offers_expire_due,
    offers_pass_on_due,
    place_pass_on,
)
from kezek.rounds.models import RoundPlace
from tests.factories.accounts import make_officer, make_parent
from tests.factories.applications import make_application
from tests.factories.placements import make_ran_round

pytestmark = pytest.mark.django_db
ALMATY = ZoneInfo("Asia/Almaty")


def status(application) -> str:
    return Application.objects.get(pk=application.pk).status


def test_round_offers_its_places_in_queue_order_with_the_regions_deadline(queue):
    ran = make_ran_round(applications=queue, groups=[(None, 2)])
    first, second = queue[0], queue[1]
    assert [o.application_id for o in ran.offers] == [first.pk, second.pk]
    offer = ran.offers[0]
    assert (offer.status, offer.source, offer.passed_on) == ("open", "allocation", False)
    assert offer.deadline == offer_deadline(offer.offered_at, "working_days", 2, ALMATY)
    assert [status(a) for a in queue] == ["offered", "offered", "active", "active", "active"]
    # The preference rows' copies of the status follow (per-kindergarten positions count only the queue).
    assert set(first.preferences.values_list("status", flat=True)) <= {"offered"}
    assert RoundPlace.objects.get(pk=ran.places[0].pk).taken == 2
    event = ApplicationEvent.objects.get(application=first, kind="status_changed")
    assert event.details["reason"] == "offer_made" and event.details["offer_id"] == offer.pk
    message = OutboxMessage.objects.get(idempotency_key=f"placements:offer:{offer.pk}:made")
    assert (message.channel, message.recipient, message.language) == ("sms", first.phones[0], "ru")
    assert ran.places[0].group.organisation.name in message.body
    assert AuditEvent.objects.filter(action="placements.offers.create_for_round").count() == 1


def test_offers_follow_the_regions_hour_rule(queue):
    region = queue[0].district.region
    RegionQueueRules.objects.create(region=region, offer_deadline_unit="hours", offer_deadline_value=3)
    ran = make_ran_round(applications=queue[:1])
    offer = ran.offers[0]
    assert offer.deadline == offer.offered_at + dt.timedelta(hours=3)


def test_an_email_parent_is_told_by_email_in_their_language():
    app = make_application(notify_channel="email", email="ana@example.kz", notify_language="kk")
    ran = make_ran_round(applications=[app])
    message = OutboxMessage.objects.get(idempotency_key=f"placements:offer:{ran.offers[0].pk}:made")
    assert (message.channel, message.recipient, message.language) == ("email", "ana@example.kz", "kk")
    assert message.subject


def test_withdrawn_applications_are_skipped_and_their_place_stays_free(queue):
    from django.db import transaction

    from tests.factories.placements import make_round

    the_round = make_round(district=queue[0].district)
    place = RoundPlace.objects.create(round=the_round, group=make_ran_round(applications=[]).places[0].group,
                                      age_group=queue[0].age_group, places=2, frees_on=timezone.localdate())
    Application.objects.filter(pk=queue[1].pk).update(status="withdrawn")
    with transaction.atomic():
        made = offers_create_for_round(
            round=the_round, assignments={queue[0].public_id: place.allocation_id, queue[1].public_id: place.allocation_id,
                                          queue[2].public_id: None},
        )
    assert made == 1
    assert RoundPlace.objects.get(pk=place.pk).taken == 1


def test_a_result_that_does_not_fit_the_places_offers_nothing(queue):
    from django.db import transaction

    from tests.factories.placements import make_round

    the_round = make_round(district=queue[0].district)
    place = RoundPlace.objects.create(round=the_round, group=make_ran_round(applications=[]).places[0].group,
                                      age_group=queue[0].age_group, places=1, frees_on=timezone.localdate())
    with pytest.raises(PlaceOversold), transaction.atomic():
        offers_create_for_round(round=the_round, assignments={a.public_id: place.allocation_id for a in queue[:2]})
    with pytest.raises(UnknownPlace), transaction.atomic():
        offers_create_for_round(round=the_round, assignments={queue[0].public_id: "p999999"})
    assert not Offer.objects.filter(round=the_round).exists()
    assert status(queue[0]) == "active"
    assert RoundPlace.objects.get(pk=place.pk).taken == 0


def test_only_the_applicant_can_answer(queue):
    ran = make_ran_round(applications=queue[:1])
    offer = ran.offers[0]
    for stranger in (make_parent(), make_officer()):
        for answer in (offer_accept, offer_decline):
            with pytest.raises(DomainError) as error:
                answer(user=stranger, offer=offer)
            assert (error.value.code, error.value.kind) == ("offer_not_found", "not_found")
    with pytest.raises(DomainError) as error:
        offer_accept(user=queue[0].applicant, offer=987654321)
    assert error.value.kind == "not_found"
    assert Offer.objects.get(pk=offer.pk).status == "open"


def test_accepting_issues_a_referral_once(queue):
    ran = make_ran_round(applications=queue[:2], groups=[(None, 2)])
    app = queue[0]
    referral = offer_accept(user=app.applicant, offer=ran.offers[0].pk)
    year = timezone.localdate().year
    assert referral.number.startswith(f"KZ-ASTANA-YESIL-{year}-")
    assert referral.status == "issued"
    assert referral.contract_deadline == contract_deadline(referral.issued_at, 5, ALMATY)
    assert offer_accept(user=app.applicant, offer=ran.offers[0]).pk == referral.pk  # a repeat returns the same
    second = offer_accept(user=queue[1].applicant, offer=ran.offers[1])
    assert int(second.number[-6:]) == int(referral.number[-6:]) + 1
    assert status(app) == "offered"  # until the contract is signed
    assert Offer.objects.get(pk=ran.offers[0].pk).status == "accepted"
    assert OutboxMessage.objects.filter(idempotency_key=f"placements:offer:{ran.offers[0].pk}:accepted").exists()
    assert len(referral.check_token) >= 32
    with pytest.raises(DomainError) as error:
        offer_decline(user=app.applicant, offer=ran.offers[0])
    assert error.value.code == "offer_closed"


def test_answers_after_the_deadline_are_refused_with_a_clear_error(queue):
    ran = make_ran_round(applications=queue[:1])
    offer = ran.offers[0]
    for answer in (offer_accept, offer_decline):
        with pytest.raises(DomainError) as error:
            answer(user=queue[0].applicant, offer=offer, now=offer.deadline)
        assert error.value.code == "offer_deadline_passed"
        assert "23:59" in str(error.value) or ":" in str(error.value)
    assert not Referral.objects.exists()
    # One second before the deadline is still in time.
    assert offer_accept(user=queue[0].applicant, offer=offer, now=offer.deadline - dt.timedelta(seconds=1))


def test_declining_passes_the_place_to_the_next_child_in_the_stored_order(queue):
    ran = make_ran_round(applications=queue[:3])
    first, second, third = queue[:3]
    declined = offer_decline(user=first.applicant, offer=ran.offers[0])
    assert declined.status == "declined" and Offer.objects.get(pk=declined.pk).passed_on
    moved = ran.offer_of(second)
    assert (moved.source, moved.place_id) == ("next_in_line", ran.places[0].pk)
    assert status(first) == "active" and status(second) == "offered"
    assert Application.objects.get(pk=first.pk).registered_at == first.registered_at
    assert offer_decline(user=first.applicant, offer=declined).pk == declined.pk  # a repeat changes nothing
    assert RoundPlace.objects.get(pk=ran.places[0].pk).taken == 1
    # The next decline skips the first child, who already declined this place.
    offer_decline(user=second.applicant, offer=moved)
    last = ran.offer_of(third)
    offer_decline(user=third.applicant, offer=last)
    # Nobody left who has not had this place: it stays free for the open-to-all phase.
    assert not Offer.objects.filter(round=ran.round, status="open").exists()
    assert RoundPlace.objects.get(pk=ran.places[0].pk).taken == 0


def test_pass_on_follows_the_class_order_not_only_registration(queue):
    late_first_priority = make_application(registered_at=timezone.now(), priority_class=1)
    ran = make_ran_round(applications=[queue[0], *queue[1:3], late_first_priority])
    assert ran.offers[0].application_id == late_first_priority.pk  # class first
    offer_decline(user=late_first_priority.applicant, offer=ran.offers[0])
    assert ran.offer_of(queue[0])


def test_pass_on_skips_children_holding_an_offer_elsewhere(queue):
    # Two places, everyone lists both: queue[0] gets A, queue[1] gets B. A declined goes to queue[2], not queue[1].
    ran = make_ran_round(applications=queue[:3], groups=[(None, 1), (None, 1)])
    assert [o.application_id for o in ran.offers] == [queue[0].pk, queue[1].pk]
    offer_decline(user=queue[0].applicant, offer=ran.offers[0])
    assert ran.offer_of(queue[2]).place_id == ran.places[0].pk
    assert ran.offer_of(queue[1]).place_id == ran.places[1].pk


def test_expiry_by_the_worker_makes_the_application_inactive_tells_the_parent_and_passes_the_place_on(queue):
    past = timezone.now() - dt.timedelta(days=10)
    ran = make_ran_round(applications=queue[:2], now=past)
    lapsed = ran.offers[0]
    assert lapsed.deadline <= timezone.now()
    assert run_until_idle(["placements.expire_offers"]) == 1
    lapsed.refresh_from_db()
    assert (lapsed.status, lapsed.passed_on) == ("expired", True)
    assert status(queue[0]) == "inactive"
    message = OutboxMessage.objects.get(idempotency_key=f"placements:offer:{lapsed.pk}:expired")
    assert (message.template, message.recipient) == ("placements_offer_expired", queue[0].phones[0])
    fresh = ran.offer_of(queue[1])
    assert fresh.source == "next_in_line" and fresh.deadline > timezone.now()
    # A second worker pass finds nothing to do.
    assert offers_expire_due() == 0
    assert Offer.objects.filter(round=ran.round).count() == 2


def test_expiry_waits_for_the_deadline(queue):
    ran = make_ran_round(applications=queue[:1])
    offer = ran.offers[0]
    assert offers_expire_due(now=offer.deadline - dt.timedelta(seconds=1)) == 0
    assert offers_expire_due(now=offer.deadline) == 1


def test_pass_on_is_idempotent(queue):
    ran = make_ran_round(applications=queue[:3])
    offer = ran.offers[0]
    Offer.objects.filter(pk=offer.pk).update(status="declined")
    Application.objects.filter(pk=queue[0].pk).update(status="active")
    assert offers_pass_on_due() == 1
    assert place_pass_on(offer=offer) is None
    assert offers_pass_on_due() == 0
    assert Offer.objects.filter(round=ran.round, status="open").count() == 1
    assert place_pass_on(offer=ran.offer_of(queue[1])) is None  # an open offer does not pass its place on
