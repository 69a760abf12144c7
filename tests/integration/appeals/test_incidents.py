"""Incidents: recorded by an administrator, public on the timeline, everything inside listed and restored once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kezek.accounts.permissions import RoleRequired
from kezek.appeals import selectors
from kezek.appeals.models import Incident, RemedyAction
from kezek.appeals.services.appeals import appeal_decide, appeal_file
from kezek.appeals.services.incidents import incident_record, incident_restore
from kezek.audit.models import AuditEvent
from kezek.audit.public import public_summary
from kezek.domain.appeals import IncidentNotFound, IncidentWindowInvalid
from kezek.placements.models import Offer
from kezek.vouchers.models import Voucher
from tests.factories.accounts import make_admin, make_officer
from tests.factories.applications import make_application
from tests.factories.placements import make_ran_round

from .conftest import cancelled_voucher, claim_voucher, expire


def window_around_now(**kwargs) -> dict:
    """A window from 10 days ago to 15 days ahead (offers made now lapse within it), recorded after it ended."""
    now = timezone.now()
    ends = now + dt.timedelta(days=15)
    return {"starts_at": now - dt.timedelta(days=10), "ends_at": ends, "now": ends + dt.timedelta(seconds=1), **kwargs}


def test_only_an_administrator_records_a_valid_window_and_it_is_public(officer):
    admin = make_admin()
    now = timezone.now()
    with pytest.raises(RoleRequired):
        incident_record(actor=officer, starts_at=now - dt.timedelta(hours=2), ends_at=now, description="SMS gateway down")
    with pytest.raises(IncidentWindowInvalid):
        incident_record(actor=admin, starts_at=now, ends_at=now - dt.timedelta(hours=2), description="SMS gateway down")
    incident = incident_record(actor=admin, starts_at=now - dt.timedelta(hours=2), ends_at=now, description="SMS gateway down")
    event = AuditEvent.objects.get(action="incident.recorded", object_id=str(incident.pk))
    shown = {row["name"]: row["value"] for row in public_summary(event.action, event.before, event.after)}
    assert shown["title"] == "SMS gateway down" and shown["status"] == "recorded" and " – " in shown["summary"]


def test_the_incident_lists_what_it_took_and_restores_it_once(officer):
    admin = make_admin()
    start = timezone.now() - dt.timedelta(days=60)
    # An offer whose place went free, and one whose place passed to the next child.
    lone = make_application(registered_at=start)
    lone_ran = make_ran_round(applications=[lone])
    expire(lone_ran)
    first, second = (make_application(registered_at=start + dt.timedelta(days=i + 1)) for i in range(2))
    ran = make_ran_round(applications=[first, second])
    expire(ran)
    _, voucher, campaign = cancelled_voucher(quota=1)
    claim_voucher(campaign)
    # Outside the window: an incident from long ago sees none of it.
    old = incident_record(actor=admin, starts_at=start - dt.timedelta(days=30), ends_at=start - dt.timedelta(days=29),
                          description="old outage")
    assert selectors.incident_items(incident=old).restorable == 0

    incident = incident_record(actor=admin, description="Database failover", **window_around_now())
    items = selectors.incident_items(incident=incident)
    expired = {Offer.objects.get(application=lone).pk, Offer.objects.get(application=first).pk}
    assert {o.pk for o in items.offers} == expired
    assert [v.pk for v in items.vouchers] == [voucher.pk]
    assert sum(row["claims"] for row in items.rush_claims) == 2  # claims the rush took; refusals it does not store
    assert items.restorable == 3

    outcomes = incident_restore(actor=admin, incident_id=incident.pk)
    assert dict(outcomes) == {"restored": 2, "position_kept": 1}
    reopened = Offer.objects.get(application=lone, status="open")
    assert reopened.place_id == lone_ran.offers[0].place_id
    assert Offer.objects.filter(application=first, status="open").count() == 0
    first.refresh_from_db()
    assert first.status == "active"
    new_voucher = RemedyAction.objects.get(incident=incident, item_kind="voucher")
    assert new_voucher.beyond_quota and Voucher.objects.get(pk=new_voucher.new_item_id).status == "issued"
    event = AuditEvent.objects.get(action="incident.restored", object_id=str(incident.pk))
    assert event.after["outcomes"] == {"restored": 2, "position_kept": 1}

    counts = (Offer.objects.count(), Voucher.objects.count(), RemedyAction.objects.count(), AuditEvent.objects.count())
    assert dict(incident_restore(actor=admin, incident_id=incident.pk)) == {}
    assert (Offer.objects.count(), Voucher.objects.count(), RemedyAction.objects.count(), AuditEvent.objects.count()) == counts
    assert selectors.incident_items(incident=incident).restorable == 0


def test_an_item_an_appeal_restored_is_not_restored_again_by_an_incident(officer, expired_offer):
    admin = make_admin()
    appeal = appeal_file(actor=expired_offer.application.applicant, kind="offer_expired_while_down", subject_kind="offer",
                         subject_id=expired_offer.pk, text="Site down")
    appeal_decide(actor=officer, appeal_id=appeal.pk, upheld=True, reason="Site down")
    incident = incident_record(actor=admin, description="Site down", **window_around_now())
    items = selectors.incident_items(incident=incident)
    assert [o.pk for o in items.offers] == [expired_offer.pk] and items.restorable == 0
    assert dict(incident_restore(actor=admin, incident_id=incident.pk)) == {}
    assert Offer.objects.filter(application=expired_offer.application, status="open").count() == 1


def test_only_administrators_restore(officer):
    incident = incident_record(actor=make_admin(), description="Site down", **window_around_now())
    with pytest.raises(RoleRequired):
        incident_restore(actor=officer, incident_id=incident.pk)
    with pytest.raises(IncidentNotFound):
        incident_restore(actor=make_admin(), incident_id=incident.pk + 1000)
    assert Incident.objects.get(pk=incident.pk).restored_at is None
    with pytest.raises(RoleRequired):
        selectors.incidents_list(user=make_officer())
