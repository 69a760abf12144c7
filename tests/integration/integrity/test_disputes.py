"""Disputes ("my child does not attend this") and the officer's review of flags: the flow and who may do what."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kezek.applications.models import Application
from kezek.audit.models import AuditEvent
from kezek.domain.errors import DomainError
from kezek.domain.workdays import add_working_days
from kezek.integrity.models import Dispute, IntegrityFlag, Suspension
from kezek.integrity.services.disputes import dispute_decide, dispute_file, dispute_respond
from kezek.integrity.services.flags import flag_review
from kezek.integrity.services.scan import integrity_scan
from kezek.notifications.models import OutboxMessage
from kezek.organisations.models import Group
from kezek.placements.models import Enrolment
from kezek.vouchers.models import Voucher
from tests.factories.accounts import make_officer, make_parent
from tests.factories.geo import district
from tests.integration.integrity.conftest import (
    TODAY,
    campaign,
    club_section,
    enrol,
    family,
    kindergarten_group,
    staff_of,
    voucher,
)


def code_of(call) -> str:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value.code


@pytest.fixture
def phantom():
    """A kindergarten enrolment the parent says the child never attended, and the provider's staff."""
    group = kindergarten_group()
    staff = staff_of(group.organisation)
    parent, (child,) = family()
    return {"parent": parent, "child": child, "enrolment": enrol(child, group, applicant=parent), "staff": staff,
            "group": group}


def test_a_parent_disputes_an_enrolment_and_the_officer_upholds_it(phantom, officer):
    parent, enrolment = phantom["parent"], phantom["enrolment"]
    dispute = dispute_file(actor=parent, subject="enrolment", subject_id=enrolment.pk, since=dt.date(2025, 10, 1),
                           reason="We moved to Almaty in September.")
    today = timezone.localdate()
    assert dispute.status == "open" and dispute.since == dt.date(2025, 10, 1)
    assert timezone.localtime(dispute.deadline).date() == add_working_days(today, 10) + dt.timedelta(days=1)
    # Routed to the provider and the district officer.
    routed = set(OutboxMessage.objects.filter(idempotency_key__startswith=f"integrity:dispute:{dispute.pk}:")
                 .values_list("recipient", flat=True))
    assert routed == {phantom["staff"].email, officer.email}
    assert code_of(lambda: dispute_file(actor=parent, subject="enrolment", subject_id=enrolment.pk)) == "dispute_already_open"

    dispute_respond(actor=phantom["staff"], dispute_id=dispute.pk, response="The child comes every day.")
    dispute = dispute_decide(actor=officer, dispute_id=dispute.pk, uphold=True, reason="The family lives in Almaty.")
    assert dispute.status == "upheld" and (dispute.upheld_from, dispute.upheld_to) == (dt.date(2025, 10, 1), today)
    enrolment.refresh_from_db()
    assert enrolment.status == "ended" and Group.objects.get(pk=phantom["group"].pk).enrolled == 0
    assert Application.objects.get(pk=enrolment.application_id).status == "closed"
    assert OutboxMessage.objects.filter(idempotency_key=f"integrity:dispute:{dispute.pk}:decided:{parent.pk}").exists()
    assert AuditEvent.objects.filter(action="integrity.dispute.upheld", object_id=str(dispute.pk)).exists()
    assert code_of(lambda: dispute_decide(actor=officer, dispute_id=dispute.pk, uphold=False, reason="x")) == (
        "dispute_already_decided"
    )
    assert code_of(lambda: dispute_respond(actor=phantom["staff"], dispute_id=dispute.pk, response="x")) == (
        "dispute_already_decided"
    )


def test_an_upheld_voucher_dispute_gives_the_voucher_back_to_the_child(officer):
    section = club_section()
    holder, (child,) = family(birth_date=dt.date(2016, 6, 1))
    seated = voucher(child=child, holder=holder, section=section, the_campaign=campaign(officer=officer))
    integrity_scan(today=TODAY)  # unattended: suspended
    assert Suspension.objects.get(voucher=seated).status == "suspended"
    dispute = dispute_file(actor=holder, subject="voucher", subject_id=seated.pk)
    assert dispute.since == dt.date(2025, 9, 1)  # the agreement's day
    dispute_decide(actor=officer, dispute_id=dispute.pk, uphold=True, reason="Never came.")
    seated.refresh_from_db()
    assert seated.status == "issued" and seated.section_id is None and seated.child_id == child.pk
    assert Group.objects.get(pk=section.pk).enrolled == 0
    assert Suspension.objects.get(voucher=seated).status == "lifted"


def test_a_rejected_dispute_sends_the_reason_to_the_parent(phantom, officer):
    dispute = dispute_file(actor=phantom["parent"], subject="enrolment", subject_id=phantom["enrolment"].pk)
    assert code_of(lambda: dispute_decide(actor=officer, dispute_id=dispute.pk, uphold=False, reason="")) == "note_required"
    dispute_decide(actor=officer, dispute_id=dispute.pk, uphold=False, reason="The roster and the check-ins show the child.")
    assert Enrolment.objects.get(pk=phantom["enrolment"].pk).status == "active"
    message = OutboxMessage.objects.get(idempotency_key=f"integrity:dispute:{dispute.pk}:decided:{phantom['parent'].pk}")
    assert "The roster and the check-ins show the child." in message.body


def test_who_may_dispute_answer_and_decide(phantom, officer):
    enrolment = phantom["enrolment"]
    stranger = make_parent()
    assert code_of(lambda: dispute_file(actor=stranger, subject="enrolment", subject_id=enrolment.pk)) == (
        "dispute_subject_not_found"
    )
    assert code_of(lambda: dispute_file(actor=officer, subject="enrolment", subject_id=enrolment.pk)) == "role_required"
    assert code_of(lambda: dispute_file(actor=phantom["parent"], subject="offer", subject_id=enrolment.pk)) == (
        "dispute_subject_not_found"
    )
    assert code_of(lambda: dispute_file(actor=phantom["parent"], subject="enrolment", subject_id=enrolment.pk,
                                        since=dt.date(2020, 1, 1))) == "dispute_since_invalid"
    dispute = dispute_file(actor=phantom["parent"], subject="enrolment", subject_id=enrolment.pk)
    other_staff = staff_of(kindergarten_group().organisation)
    assert code_of(lambda: dispute_respond(actor=other_staff, dispute_id=dispute.pk, response="no")) == "out_of_scope"
    nura = make_officer(district("astana-nura"))
    assert code_of(lambda: dispute_decide(actor=nura, dispute_id=dispute.pk, uphold=True, reason="x")) == "out_of_scope"
    assert code_of(lambda: dispute_decide(actor=phantom["staff"], dispute_id=dispute.pk, uphold=True, reason="x")) == (
        "role_required"
    )
    assert code_of(lambda: dispute_decide(actor=officer, dispute_id=10**9, uphold=True, reason="x")) == "dispute_not_found"
    assert Dispute.objects.get(pk=dispute.pk).status == "open"


def test_an_ended_place_cannot_be_disputed(phantom, officer):
    Enrolment.objects.filter(pk=phantom["enrolment"].pk).update(status="ended", ended_on=TODAY)
    assert code_of(lambda: dispute_file(actor=phantom["parent"], subject="enrolment",
                                        subject_id=phantom["enrolment"].pk)) == "dispute_place_not_current"


def test_the_officer_confirms_or_dismisses_a_flag_once_with_a_note(phantom, officer):
    integrity_scan(today=TODAY, suspend=False)
    flag = IntegrityFlag.objects.get(kind="no_attendance")
    assert code_of(lambda: flag_review(actor=officer, flag_id=flag.pk, confirm=True, note="")) == "note_required"
    nura = make_officer(district("astana-nura"))
    assert code_of(lambda: flag_review(actor=nura, flag_id=flag.pk, confirm=True, note="seen")) == "out_of_scope"
    assert code_of(lambda: flag_review(actor=phantom["parent"], flag_id=flag.pk, confirm=True, note="x")) == "role_required"
    flag_review(actor=officer, flag_id=flag.pk, confirm=True, note="Visited: the child is not there.")
    flag.refresh_from_db()
    assert (flag.status, flag.reviewer_id, flag.note) == ("confirmed", officer.pk, "Visited: the child is not there.")
    assert AuditEvent.objects.filter(action="integrity.flag.confirmed", object_id=str(flag.pk)).exists()
    assert code_of(lambda: flag_review(actor=officer, flag_id=flag.pk, confirm=False, note="x")) == "flag_already_reviewed"
    assert code_of(lambda: flag_review(actor=officer, flag_id=10**9, confirm=False, note="x")) == "flag_not_found"
    # A reviewed flag stays reviewed: the next scan finds the same fact and adds nothing.
    assert integrity_scan(today=TODAY, suspend=False).new_flags == 0
    assert IntegrityFlag.objects.get(pk=flag.pk).status == "confirmed"


def test_a_voucher_dispute_by_the_holder_of_an_ended_voucher_is_refused(officer):
    section = club_section()
    holder, (child,) = family(birth_date=dt.date(2016, 6, 1))
    seated = voucher(child=child, holder=holder, section=section, the_campaign=campaign(officer=officer))
    Voucher.objects.filter(pk=seated.pk).update(status="expired", section=None)
    assert code_of(lambda: dispute_file(actor=holder, subject="voucher", subject_id=seated.pk)) == "dispute_place_not_current"
