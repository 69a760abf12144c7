"""Automatic suspension of unattended places, lifting when the child comes back, and release after the grace."""

from __future__ import annotations

import datetime as dt

import pytest

from kezek.applications.models import Application
from kezek.audit.models import AuditEvent
from kezek.domain.errors import DomainError
from kezek.integrity.models import Suspension
from kezek.integrity.services.scan import integrity_scan
from kezek.integrity.services.suspensions import suspension_lift
from kezek.notifications.models import OutboxMessage
from kezek.organisations.models import Group
from kezek.placements.models import Enrolment
from kezek.vouchers.models import Voucher, VoucherCampaign
from tests.factories.accounts import make_officer
from tests.factories.geo import district
from tests.integration.integrity.conftest import (
    TODAY,
    attend,
    campaign,
    club_section,
    enrol,
    family,
    kindergarten_group,
    staff_of,
    voucher,
    weekdays,
)

GRACE = dt.timedelta(days=14)


def test_an_unattended_kindergarten_place_is_suspended_then_released_to_the_queue():
    group = kindergarten_group()
    staff_of(group.organisation)
    parent, (child,) = family()
    enrolment = enrol(child, group, applicant=parent)
    attend(group, child, weekdays(TODAY - dt.timedelta(days=25), 3))

    result = integrity_scan(today=TODAY)
    assert result.suspended == 1
    suspension = Suspension.objects.get(enrolment=enrolment)
    assert suspension.status == "suspended" and suspension.release_on == TODAY + GRACE
    assert Enrolment.objects.get(pk=enrolment.pk).status == "active"  # the place is kept while suspended
    sent = OutboxMessage.objects.filter(idempotency_key__startswith=f"integrity:suspended:{suspension.pk}")
    assert {m.channel for m in sent} == {"sms", "email"}  # the parent and the provider's staff
    # The next night changes nothing; the grace period's end releases the place.
    assert integrity_scan(today=TODAY + dt.timedelta(days=1)).suspended == 0
    assert integrity_scan(today=TODAY + GRACE).released == 1
    enrolment.refresh_from_db()
    assert enrolment.status == "ended" and enrolment.ended_on is not None
    assert Group.objects.get(pk=group.pk).enrolled == 0
    assert Application.objects.get(pk=enrolment.application_id).status == "closed"
    assert Suspension.objects.get(pk=suspension.pk).status == "released"
    assert AuditEvent.objects.filter(action="integrity.suspension.released", object_id=str(suspension.pk)).exists()
    assert OutboxMessage.objects.filter(idempotency_key__startswith=f"integrity:released:{suspension.pk}").exists()


def test_a_child_who_comes_back_keeps_the_place():
    group = kindergarten_group()
    _, (child,) = family()
    enrolment = enrol(child, group)
    integrity_scan(today=TODAY)
    suspension = Suspension.objects.get(enrolment=enrolment)
    attend(group, child, [TODAY + dt.timedelta(days=1)])
    result = integrity_scan(today=TODAY + dt.timedelta(days=2))
    assert result.lifted == 1 and Suspension.objects.get(pk=suspension.pk).status == "lifted"
    assert integrity_scan(today=TODAY + GRACE).released == 0
    assert Enrolment.objects.get(pk=enrolment.pk).status == "active"


def test_an_unattended_voucher_is_suspended_then_given_back_to_the_campaign(officer):
    section = club_section()
    holder, (child,) = family(birth_date=dt.date(2016, 6, 1))
    the_campaign = campaign(officer=officer)
    seated = voucher(child=child, holder=holder, section=section, the_campaign=the_campaign)
    placed = voucher(child=family(birth_date=dt.date(2016, 6, 1))[1][0], holder=holder, section=section,
                     the_campaign=the_campaign, status="placed")

    integrity_scan(today=TODAY)
    assert Voucher.objects.get(pk=seated.pk).status == "suspended"
    assert Voucher.objects.get(pk=placed.pk).status == "placed"  # not accepted yet: flagged, never suspended
    assert not Suspension.objects.filter(voucher=placed).exists()
    assert integrity_scan(today=TODAY + GRACE).released == 1
    seated.refresh_from_db()
    assert seated.status == "cancelled" and seated.section_id is None
    assert VoucherCampaign.objects.get(pk=the_campaign.pk).held == 1  # the placed one still holds its voucher
    assert Group.objects.get(pk=section.pk).enrolled == 1


def test_an_officer_lifts_a_suspension_with_a_note(officer):
    section = club_section()
    holder, (child,) = family(birth_date=dt.date(2016, 6, 1))
    seated = voucher(child=child, holder=holder, section=section, the_campaign=campaign(officer=officer))
    integrity_scan(today=TODAY)
    suspension = Suspension.objects.get(voucher=seated)
    with pytest.raises(DomainError) as empty:
        suspension_lift(actor=officer, suspension_id=suspension.pk, note=" ")
    assert empty.value.code == "note_required"
    with pytest.raises(DomainError) as elsewhere:
        suspension_lift(actor=make_officer(district("astana-nura")), suspension_id=suspension.pk, note="checked")
    assert elsewhere.value.code == "out_of_scope"
    suspension_lift(actor=officer, suspension_id=suspension.pk, note="The child was ill; certificate seen.")
    assert Voucher.objects.get(pk=seated.pk).status == "active"
    assert Suspension.objects.get(pk=suspension.pk).status == "lifted"
    with pytest.raises(DomainError) as again:
        suspension_lift(actor=officer, suspension_id=suspension.pk, note="again")
    assert again.value.code == "suspension_not_found"
    # The resumed voucher gets a fresh N weeks: the next night does not suspend it again.
    assert integrity_scan(today=TODAY + dt.timedelta(days=1)).suspended == 0
