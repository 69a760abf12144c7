"""Referrals: the contract confirmed by the kindergarten's staff, the one extension, the missed deadline, transfers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

import kezek.placements.tasks  # noqa: F401  (registers the placements tasks with the worker)
from kezek.applications.models import Application
from kezek.audit.models import AuditEvent
from kezek.core.worker import run_until_idle
from kezek.domain.errors import DomainError
from kezek.notifications.models import OutboxMessage
from kezek.organisations.models import Group
from kezek.placements.models import Enrolment, Offer, Referral
from kezek.placements.services.applications import application_reactivate, transfer_apply
from kezek.placements.services.offers import offer_accept, offers_expire_due
from kezek.placements.services.referrals import contract_confirm, referral_extend, referrals_expire_due
from kezek.rounds.models import RoundPlace
from tests.factories.accounts import make_admin, make_officer, make_parent, make_provider_staff
from tests.factories.geo import district
from tests.factories.organisations import make_group, make_organisation
from tests.factories.placements import make_ran_round

pytestmark = pytest.mark.django_db


def status(application) -> str:
    return Application.objects.get(pk=application.pk).status


@pytest.fixture
def accepted(queue):
    """The first child of a one-place round has accepted; two more children wait behind."""
    ran = make_ran_round(applications=queue[:3])
    referral = offer_accept(user=queue[0].applicant, offer=ran.offers[0])
    return ran, referral


def raises(code: str, call, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as error:
        call(**kwargs)
    assert error.value.code == code
    return error.value


def test_staff_of_the_kindergarten_confirm_the_contract_and_the_child_is_enrolled(accepted, queue):
    ran, referral = accepted
    group = ran.places[0].group
    staff = make_provider_staff(group.organisation)
    enrolment = contract_confirm(staff=staff, referral=referral)
    assert (enrolment.group_id, enrolment.child_id, enrolment.status) == (group.pk, queue[0].child_id, "active")
    assert enrolment.started_on == timezone.localdate()
    assert Group.objects.get(pk=group.pk).enrolled == 1
    assert status(queue[0]) == "enrolled"
    referral.refresh_from_db()
    assert (referral.status, referral.confirmed_by_id) == ("contracted", staff.pk)
    assert RoundPlace.objects.get(pk=ran.places[0].pk).taken == 1
    assert contract_confirm(staff=staff, referral=referral.pk).pk == enrolment.pk  # a repeat returns the same
    assert Group.objects.get(pk=group.pk).enrolled == 1
    assert OutboxMessage.objects.filter(template="placements_enrolled").count() == 1
    assert AuditEvent.objects.filter(action="placements.referral.contract", object_id=str(referral.pk)).exists()


def test_only_staff_of_that_kindergarten_may_confirm(accepted):
    ran, referral = accepted
    other = make_provider_staff(make_organisation())
    assert raises("out_of_scope", contract_confirm, staff=other, referral=referral).kind == "forbidden"
    for user in (make_officer(), make_parent()):
        assert raises("role_required", contract_confirm, staff=user, referral=referral).kind == "forbidden"
    assert Referral.objects.get(pk=referral.pk).status == "issued"
    assert contract_confirm(staff=make_admin(), referral=referral)  # an administrator may act anywhere


def test_a_full_group_refuses_the_enrolment_and_the_database_enforces_capacity(queue):
    group = make_group(capacity=1)
    Group.objects.filter(pk=group.pk).update(enrolled=1)
    ran = make_ran_round(applications=queue[:1], groups=[(group, 1)])
    referral = offer_accept(user=queue[0].applicant, offer=ran.offers[0])
    error = raises("group_full", contract_confirm, staff=make_provider_staff(group.organisation), referral=referral)
    assert error.params == {"capacity": 1}
    assert status(queue[0]) == "offered" and not Enrolment.objects.exists()
    with pytest.raises(IntegrityError), transaction.atomic():
        Group.objects.filter(pk=group.pk).update(enrolled=2)


def test_contract_after_the_deadline_is_refused(accepted):
    ran, referral = accepted
    staff = make_provider_staff(ran.places[0].group.organisation)
    raises("contract_deadline_passed", contract_confirm, staff=staff, referral=referral, now=referral.contract_deadline)


def test_an_officer_extends_once_by_at_most_30_days_with_a_reason(accepted):
    ran, referral = accepted
    officer = make_officer(ran.round.district)
    before = referral.contract_deadline
    raises("extension_reason_required", referral_extend, officer=officer, referral=referral, days=5, reason="  ")
    raises("extension_out_of_range", referral_extend, officer=officer, referral=referral, days=31, reason="болеет")
    raises("extension_out_of_range", referral_extend, officer=officer, referral=referral, days=0, reason="болеет")
    raises("out_of_scope", referral_extend, officer=make_officer(district("astana-nura")), referral=referral, days=5, reason="x")
    extended = referral_extend(officer=officer, referral=referral, days=30, reason="Ребёнок в больнице")
    assert extended.contract_deadline == before + dt.timedelta(days=30)
    assert (extended.extended, extended.extension_reason) == (True, "Ребёнок в больнице")
    raises("extension_already_used", referral_extend, officer=officer, referral=referral, days=1, reason="ещё")
    assert OutboxMessage.objects.filter(template="placements_referral_extended").count() == 1
    # The extended deadline counts: the referral does not expire at the old one.
    assert referrals_expire_due(now=before) == 0


def test_a_missed_contract_deadline_frees_the_place_for_the_next_child(accepted, queue):
    ran, referral = accepted
    assert referrals_expire_due(now=referral.contract_deadline - dt.timedelta(seconds=1)) == 0
    assert referrals_expire_due(now=referral.contract_deadline) == 1
    referral.refresh_from_db()
    assert referral.status == "expired"
    assert status(queue[0]) == "inactive"
    assert Offer.objects.get(pk=ran.offers[0].pk).passed_on
    nxt = ran.offer_of(queue[1])
    assert nxt.source == "next_in_line"
    assert OutboxMessage.objects.filter(template="placements_referral_expired", recipient=queue[0].phones[0]).count() == 1
    assert referrals_expire_due(now=referral.contract_deadline) == 0
    assert RoundPlace.objects.get(pk=ran.places[0].pk).taken == 1


def test_a_missed_contract_with_nobody_left_frees_the_place(queue):
    ran = make_ran_round(applications=queue[:1])
    referral = offer_accept(user=queue[0].applicant, offer=ran.offers[0])
    Referral.objects.filter(pk=referral.pk).update(contract_deadline=timezone.now() - dt.timedelta(minutes=1))
    assert run_until_idle(["placements.expire_referrals"]) == 1
    assert RoundPlace.objects.get(pk=ran.places[0].pk).taken == 0


def test_reactivation_once_within_28_days_keeps_the_registration_time(queue):
    ran = make_ran_round(applications=queue[:1])
    app = queue[0]
    offer = ran.offers[0]
    offers_expire_due(now=offer.deadline)
    raises("application_not_found", application_reactivate, user=make_parent(), application=app)
    back = application_reactivate(user=app.applicant, application=app.pk)
    assert (back.status, back.reactivations_used, back.registered_at) == ("active", 1, app.registered_at)
    assert set(app.preferences.values_list("status", flat=True)) <= {"active"}
    raises("application_not_inactive", application_reactivate, user=app.applicant, application=app)
    # Inactive again later: the one reactivation is used up.
    Application.objects.filter(pk=app.pk).update(status="inactive", status_changed_at=timezone.now())
    raises("reactivation_already_used", application_reactivate, user=app.applicant, application=app)


def test_reactivation_after_28_days_is_refused(queue):
    app = queue[0]
    Application.objects.filter(pk=app.pk).update(status="inactive", status_changed_at=timezone.now() - dt.timedelta(days=28))
    error = raises("reactivation_window_closed", application_reactivate, user=app.applicant, application=app)
    assert error.params == {"days": 28}


def enrol(ran, app, referral=None):
    referral = referral or offer_accept(user=app.applicant, offer=ran.offer_of(app))
    group = ran.places[0].group
    return contract_confirm(staff=make_provider_staff(group.organisation), referral=referral)


def test_transfer_keeps_the_registration_time_and_ends_the_old_enrolment(queue):
    app = queue[0]
    old = enrol(make_ran_round(applications=[app]), app)
    old_group = old.group
    wanted = make_organisation()
    other_choice = make_organisation()
    raises("transfer_same_kindergarten", transfer_apply, user=app.applicant, enrolment=old, kindergartens=[old_group.organisation_id])
    raises("enrolment_not_found", transfer_apply, user=make_parent(), enrolment=old, kindergartens=[wanted.pk])
    transfer = transfer_apply(user=app.applicant, enrolment=old.pk, kindergartens=[wanted.pk, other_choice.pk])
    assert (transfer.status, transfer.transfer_of_id, transfer.registered_at) == ("active", app.pk, app.registered_at)
    assert list(transfer.preferences.values_list("organisation_id", flat=True)) == [wanted.pk, other_choice.pk]
    raises("application_exists", transfer_apply, user=app.applicant, enrolment=old, kindergartens=[wanted.pk])
    # The transfer is offered only when a round or a passed-on place has a free place for it.
    new_group = make_group(organisation=wanted)
    ran = make_ran_round(applications=[transfer], groups=[(new_group, 1)])
    assert ran.offers[0].source == "transfer"
    referral = offer_accept(user=app.applicant, offer=ran.offers[0])
    new = contract_confirm(staff=make_provider_staff(wanted), referral=referral)
    old.refresh_from_db()
    assert (old.status, old.end_reason) == ("ended", "transfer")
    assert Group.objects.get(pk=old_group.pk).enrolled == 0
    assert Group.objects.get(pk=new_group.pk).enrolled == 1
    assert (status(app), status(transfer), new.status) == ("closed", "enrolled", "active")
    raises("not_enrolled", transfer_apply, user=app.applicant, enrolment=old, kindergartens=[other_choice.pk])
