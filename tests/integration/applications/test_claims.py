"""Benefit rights: claiming, an officer's verification and rejection, a right found false."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from kezek.accounts.permissions import OutOfScope, RoleRequired
from kezek.applications.errors import (
    ApplicationClosed,
    ApplicationNotFound,
    ClaimAlreadyLive,
    ClaimHasNoDocument,
    ClaimNotFound,
    ClaimNotPending,
    DecisionReasonRequired,
    OnStopList,
    UnknownBenefit,
)
from kezek.applications.models import Application, ApplicationEvent, BenefitClaim, StopListEntry
from kezek.applications.selectors.position import application_position
from kezek.applications.services.claims import (
    claim_add,
    claim_document_upload,
    claim_reject,
    claim_verify,
    extraordinary_confirm_by,
)
from kezek.audit.models import AuditEvent
from kezek.domain.queue import PriorityClass, QueueRules
from kezek.notifications.models import OutboxMessage
from tests.factories.accounts import make_officer, make_parent
from tests.factories.applications import make_application, make_claim, submit_application
from tests.factories.geo import district
from tests.factories.organisations import make_organisation
from tests.factories.people import make_family

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT


def with_document(claim: BenefitClaim) -> BenefitClaim:
    parent = claim.application.applicant
    return claim_document_upload(actor=parent, claim_id=claim.pk, uploaded_file=SimpleUploadedFile("c.pdf", PDF, "application/pdf"))


def audit_actions(obj) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).order_by("seq").values_list("action", flat=True)
    )


# --- claim_add ----------------------------------------------------------------------------------


def test_parent_claims_a_first_priority_right_pending_without_class_change():
    app = make_application()
    claim = claim_add(actor=app.applicant, application_id=app.pk, kind="large_family")
    assert (claim.status, claim.source, claim.priority_class, claim.confirm_by) == ("pending", "document", 1, None)
    app.refresh_from_db()
    assert app.priority_class == PriorityClass.GENERAL  # counts only once an officer verifies it
    assert ApplicationEvent.objects.filter(application=app, kind="claim_added", details__claim_id=claim.pk).exists()
    assert audit_actions(claim) == ["applications.claim.add"]


def test_extraordinary_claim_counts_at_once_until_the_working_day_deadline():
    registered = timezone.now() - dt.timedelta(days=30)
    app = make_application(registered_at=registered)
    before = timezone.now()
    claim = claim_add(actor=app.applicant, application_id=app.pk, kind="military")
    assert claim.priority_class == PriorityClass.EXTRAORDINARY
    assert claim.confirm_by == extraordinary_confirm_by(claimed_at=before, rules=QueueRules())
    # The deadline is a local midnight, at least 5 calendar days ahead.
    local = timezone.localtime(claim.confirm_by)
    assert (local.hour, local.minute, local.second) == (0, 0, 0)
    assert claim.confirm_by - before >= dt.timedelta(days=5)
    app.refresh_from_db()
    assert app.priority_class == PriorityClass.EXTRAORDINARY
    assert app.registered_at == registered
    assert ApplicationEvent.objects.filter(application=app, kind="class_changed").count() == 1


def test_claim_add_refusals_change_nothing():
    app = make_application()
    other_parent = make_parent()
    with pytest.raises(ApplicationNotFound):
        claim_add(actor=other_parent, application_id=app.pk, kind="large_family")
    with pytest.raises(ApplicationNotFound):
        claim_add(actor=app.applicant, application_id=999_999_999, kind="large_family")
    with pytest.raises(UnknownBenefit):
        claim_add(actor=app.applicant, application_id=app.pk, kind="astronaut")
    make_claim(app, kind="large_family", source="registry", status="confirmed")
    with pytest.raises(ClaimAlreadyLive):
        claim_add(actor=app.applicant, application_id=app.pk, kind="large_family")
    assert BenefitClaim.objects.filter(application=app).count() == 1
    closed = make_application(status="withdrawn")
    with pytest.raises(ApplicationClosed):
        claim_add(actor=closed.applicant, application_id=closed.pk, kind="teacher")
    assert not BenefitClaim.objects.filter(application=closed).exists()


def test_a_rejected_right_can_be_claimed_again():
    app = make_application()
    make_claim(app, kind="teacher", status="rejected")
    claim = claim_add(actor=app.applicant, application_id=app.pk, kind="teacher")
    assert claim.status == "pending"


# --- verify -------------------------------------------------------------------------------------


def test_officer_verifies_a_document_the_class_and_position_rise():
    yesil = district("astana-yesil")
    now = timezone.now()
    first = make_application(district=yesil, registered_at=now - dt.timedelta(days=10), age_group=2023)
    mine = make_application(district=yesil, registered_at=now - dt.timedelta(days=5), age_group=2023)
    assert application_position(application=mine).position == 2
    claim = with_document(make_claim(mine, kind="large_family"))
    officer = make_officer(yesil)

    verified = claim_verify(actor=officer, claim_id=claim.pk)

    assert (verified.status, verified.decided_by_id) == ("verified", officer.pk)
    mine.refresh_from_db()
    assert mine.priority_class == PriorityClass.FIRST
    assert mine.registered_at == now - dt.timedelta(days=5)
    assert application_position(application=mine).position == 1
    assert application_position(application=first).position == 2
    kinds = list(ApplicationEvent.objects.filter(application=mine).values_list("kind", flat=True))
    assert kinds == ["claim_verified", "class_changed"]
    assert "applications.claim.verify" in audit_actions(claim)
    message = OutboxMessage.objects.get(idempotency_key=f"claim:{claim.pk}:verified")
    assert (message.channel, message.recipient, message.user_id) == ("sms", mine.phones[0], mine.applicant_id)


def test_verify_is_refused_outside_the_district_for_parents_and_without_a_document():
    app = make_application(district="astana-yesil")
    claim = make_claim(app, kind="large_family")
    with pytest.raises(ClaimHasNoDocument):
        claim_verify(actor=make_officer(district("astana-yesil")), claim_id=claim.pk)
    with_document(claim)
    with pytest.raises(OutOfScope):
        claim_verify(actor=make_officer(district("astana-baikonur")), claim_id=claim.pk)
    with pytest.raises(RoleRequired):
        claim_verify(actor=app.applicant, claim_id=claim.pk)
    with pytest.raises(ClaimNotFound):
        claim_verify(actor=make_officer(district("astana-yesil")), claim_id=999_999_999)
    claim.refresh_from_db()
    assert claim.status == "pending"
    app.refresh_from_db()
    assert app.priority_class == PriorityClass.GENERAL


def test_a_decided_claim_cannot_be_decided_again():
    app = make_application()
    claim = with_document(make_claim(app))
    officer = make_officer(app.district)
    claim_verify(actor=officer, claim_id=claim.pk)
    with pytest.raises(ClaimNotPending):
        claim_verify(actor=officer, claim_id=claim.pk)
    with pytest.raises(ClaimNotPending):
        claim_reject(actor=officer, claim_id=claim.pk, reason="wrong")
    assert BenefitClaim.objects.get(pk=claim.pk).status == "verified"


# --- reject -------------------------------------------------------------------------------------


def test_reject_needs_a_reason_and_keeps_the_class_and_registration_time():
    registered = timezone.now() - dt.timedelta(days=3)
    app = make_application(registered_at=registered)
    claim = make_claim(app, kind="military", confirm_by=timezone.now() + dt.timedelta(days=5))
    officer = make_officer(app.district)
    with pytest.raises(DecisionReasonRequired):
        claim_reject(actor=officer, claim_id=claim.pk, reason="   ")
    rejected = claim_reject(actor=officer, claim_id=claim.pk, reason="The certificate is for another child.")
    assert (rejected.status, rejected.decision_reason) == ("rejected", "The certificate is for another child.")
    app.refresh_from_db()
    assert app.priority_class == PriorityClass.GENERAL
    assert app.registered_at == registered
    assert not StopListEntry.objects.exists()
    assert ApplicationEvent.objects.filter(application=app, kind="claim_rejected", details__reason=rejected.decision_reason).exists()
    message = OutboxMessage.objects.get(idempotency_key=f"claim:{claim.pk}:rejected")
    assert "another child" in message.body
    assert "applications.claim.reject" in audit_actions(claim)


def test_found_false_stop_lists_the_applicant_and_returns_to_the_general_queue_by_the_original_date():
    registered = timezone.now() - dt.timedelta(days=100)
    parent_person, kids = make_family(children=2, child_birth_dates=[dt.date(2022, 3, 1), dt.date(2023, 4, 1)])
    parent = make_parent(parent_person)
    app = make_application(child=kids[0], applicant=parent, registered_at=registered, priority_class=PriorityClass.FIRST)
    false_claim = with_document(make_claim(app, kind="military", confirm_by=timezone.now() + dt.timedelta(days=5)))
    verified_other = make_claim(app, kind="teacher", status="verified")
    pending_other = make_claim(app, kind="orphan")
    officer = make_officer(app.district)

    before = timezone.now()
    claim_reject(actor=officer, claim_id=false_claim.pk, reason="Forged certificate", found_false=True)

    false_claim.refresh_from_db()
    assert false_claim.status == "false"
    assert {c.status for c in BenefitClaim.objects.filter(pk__in=[verified_other.pk, pending_other.pk])} == {"rejected"}
    app.refresh_from_db()
    assert app.priority_class == PriorityClass.GENERAL
    assert app.registered_at == registered
    entry = StopListEntry.objects.get(person=parent_person)
    assert entry.claim_id == false_claim.pk
    assert before + dt.timedelta(days=10) <= entry.until <= timezone.now() + dt.timedelta(days=10)
    assert "applications.claim.found_false" in audit_actions(false_claim)
    assert audit_actions(entry) == ["applications.stop_list.add"]
    assert ApplicationEvent.objects.filter(application=app, kind="claim_false").exists()
    assert "10" in OutboxMessage.objects.get(idempotency_key=f"claim:{false_claim.pk}:false").body

    # A new application by this parent (for the other child) is refused while on the stop-list.
    with pytest.raises(OnStopList):
        submit_application(user=parent, child=kids[1], orgs=[make_organisation(district="astana-yesil")])
    assert Application.objects.filter(applicant=parent).count() == 1


def test_found_false_keeps_rights_the_registry_confirms():
    app = make_application(priority_class=PriorityClass.EXTRAORDINARY)
    make_claim(app, kind="large_family", source="registry", status="confirmed")
    claim = with_document(make_claim(app, kind="military", confirm_by=timezone.now() + dt.timedelta(days=5)))
    claim_reject(actor=make_officer(app.district), claim_id=claim.pk, reason="Not military", found_false=True)
    app.refresh_from_db()
    assert app.priority_class == PriorityClass.FIRST
    assert BenefitClaim.objects.get(application=app, kind="large_family").status == "confirmed"


def test_a_verified_right_can_later_be_found_false():
    app = make_application()
    claim = with_document(make_claim(app, kind="large_family"))
    officer = make_officer(app.district)
    claim_verify(actor=officer, claim_id=claim.pk)
    claim_reject(actor=officer, claim_id=claim.pk, reason="The family has 2 children", found_false=True)
    app.refresh_from_db()
    assert (BenefitClaim.objects.get(pk=claim.pk).status, app.priority_class) == ("false", PriorityClass.GENERAL)


def test_a_registry_right_cannot_be_rejected():
    app = make_application(priority_class=PriorityClass.FIRST)
    claim = make_claim(app, kind="large_family", source="registry", status="confirmed")
    with pytest.raises(ClaimNotPending):
        claim_reject(actor=make_officer(app.district), claim_id=claim.pk, reason="x", found_false=True)
    assert not StopListEntry.objects.exists()
