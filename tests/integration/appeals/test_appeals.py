"""Appeals: filing about one's own record, documents, the working-day deadline, the decision and each remedy."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from kezek.accounts.permissions import OutOfScope, RoleRequired
from kezek.appeals import selectors
from kezek.appeals.models import Appeal, AppealDocument, RemedyAction
from kezek.appeals.services.appeals import appeal_decide, appeal_document_add, appeal_file
from kezek.applications.models import Application
from kezek.attendance.models import RegionAttendanceRules
from kezek.audit.models import AuditEvent
from kezek.domain.appeals import (
    AppealDecisionReasonRequired,
    AppealNotFound,
    AppealNotOpen,
    AppealSubjectMismatch,
    AppealSubjectNotAllowed,
    AppealSubjectNotFound,
    AppealTextRequired,
    AppealTooManyDocuments,
)
from kezek.domain.documents import DocumentTooLarge, DocumentTypeNotAllowed
from kezek.notifications.models import OutboxMessage
from kezek.organisations.models import Organisation
from kezek.placements.models import Offer
from kezek.rounds.models import RoundPlace
from kezek.vouchers.models import Voucher
from tests.factories.accounts import make_admin, make_officer, make_parent, make_provider_staff
from tests.factories.applications import make_application
from tests.factories.geo import district
from tests.factories.organisations import make_organisation
from tests.factories.placements import make_ran_round

from .conftest import PDF, cancelled_voucher, claim_voucher, expire, pdf

ALMATY = ZoneInfo("Asia/Almaty")


def file_about(user, subject_kind, subject_id, *, kind="lost_place", text="The site lost my place.", **kwargs):
    return appeal_file(actor=user, kind=kind, subject_kind=subject_kind, subject_id=subject_id, text=text, **kwargs)


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- filing ---------------------------------------------------------------------------------------------


def test_a_parent_files_about_their_own_application_with_a_document(private_media):
    application = make_application(status="withdrawn")
    appeal = file_about(application.applicant, "application", application.pk, documents=[pdf()])
    assert (appeal.status, appeal.district_id, appeal.child_id, appeal.remedy) == (
        "open", application.district_id, application.child_id, "restore_queue_position")
    (document,) = appeal.documents.all()
    assert document.content_type == "application/pdf" and document.size == len(PDF)
    # Stored under a random name in the private folder, never under the user's file name.
    (path,) = stored_files(private_media)
    assert path.name != "scan.pdf" and str(path).startswith(str(private_media))
    assert AuditEvent.objects.filter(action="appeals.appeal.file", object_id=str(appeal.pk)).exists()
    message = OutboxMessage.objects.get(idempotency_key=f"appeal:{appeal.pk}:filed")
    assert str(appeal.pk) in message.body


def test_a_subject_that_is_not_the_filers_is_refused_and_nothing_is_saved(private_media):
    someone_elses = make_application()
    stranger = make_parent()
    for subject_kind, subject_id in (("application", someone_elses.pk), ("application", 10**12), ("application", "12"),
                                     ("application", -1)):
        with pytest.raises(AppealSubjectNotFound):
            file_about(stranger, subject_kind, subject_id, documents=[pdf()])
    assert not Appeal.objects.exists() and not stored_files(private_media)


def test_kind_subject_and_role_must_fit():
    application = make_application()
    with pytest.raises(AppealSubjectMismatch):
        file_about(application.applicant, "application", application.pk, kind="offer_expired_while_down")
    with pytest.raises(AppealTextRequired):
        file_about(application.applicant, "application", application.pk, text="   ")
    staff = make_provider_staff(make_organisation())
    with pytest.raises(AppealSubjectNotAllowed):
        file_about(staff, "application", application.pk)
    with pytest.raises(RoleRequired):
        file_about(make_officer(), "application", application.pk)
    with pytest.raises(RoleRequired):
        file_about(make_admin(), "application", application.pk)


def test_document_rules(private_media):
    application = make_application()
    parent = application.applicant
    renamed_exe = SimpleUploadedFile("scan.pdf", b"MZ\x90\x00" + b"\x00" * 100, content_type="application/pdf")
    with pytest.raises(DocumentTypeNotAllowed):
        file_about(parent, "application", application.pk, documents=[pdf(), renamed_exe])
    too_big = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024), content_type="application/pdf")
    with pytest.raises(DocumentTooLarge):
        file_about(parent, "application", application.pk, documents=[too_big])
    with pytest.raises(AppealTooManyDocuments):
        file_about(parent, "application", application.pk, documents=[pdf() for _ in range(6)])
    assert not Appeal.objects.exists() and not stored_files(private_media)
    png = SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, content_type="image/png")
    appeal = file_about(parent, "application", application.pk, documents=[png])
    appeal_document_add(actor=parent, appeal_id=appeal.pk, uploaded_file=pdf())
    assert sorted(appeal.documents.values_list("content_type", flat=True)) == ["application/pdf", "image/png"]
    with pytest.raises(AppealNotFound):
        appeal_document_add(actor=make_parent(), appeal_id=appeal.pk, uploaded_file=pdf())
    assert len(stored_files(private_media)) == 2


def test_documents_are_readable_by_the_filer_and_the_districts_officers_only(officer):
    application = make_application()
    appeal = file_about(application.applicant, "application", application.pk, documents=[pdf()])
    document = appeal.documents.get()
    for user in (application.applicant, officer, make_admin()):
        path, content_type, name = selectors.appeal_document_for_user(user=user, appeal_id=appeal.pk, document_id=document.pk)
        assert content_type == "application/pdf" and name.endswith(".pdf") and open(path, "rb").read() == PDF
    for user in (make_parent(), make_officer(district("astana-baikonur")), make_provider_staff(make_organisation())):
        with pytest.raises(AppealNotFound):
            selectors.appeal_document_for_user(user=user, appeal_id=appeal.pk, document_id=document.pk)


# --- the deadline ---------------------------------------------------------------------------------------


def test_deadline_counts_the_regions_working_days_across_nauryz(yesil):
    RegionAttendanceRules.objects.create(region=yesil.region, appeal_working_days=3)
    application = make_application()
    filed = dt.datetime(2025, 3, 20, 15, 0, tzinfo=ALMATY)  # Thursday; 21-25 March are Nauryz holidays
    appeal = file_about(application.applicant, "application", application.pk, now=filed)
    assert appeal.deadline == dt.datetime(2025, 3, 29, tzinfo=ALMATY)  # end of Fri 28 March


def test_default_is_ten_working_days_and_overdue_appeals_show_to_officers(officer):
    application = make_application()
    filed = dt.datetime(2025, 3, 20, 15, 0, tzinfo=ALMATY)
    appeal = file_about(application.applicant, "application", application.pk, now=filed)
    assert appeal.deadline == dt.datetime(2025, 4, 9, tzinfo=ALMATY)  # 26-28 Mar, 31 Mar-4 Apr, 7-8 Apr
    fresh = file_about(make_application().applicant, "application", Application.objects.latest("pk").pk)
    rows = selectors.appeals_for_officer(user=officer)
    assert [(a.pk, a.overdue) for a in rows] == [(appeal.pk, True), (fresh.pk, False)]
    assert [a.pk for a in selectors.appeals_for_officer(user=officer, overdue_only=True)] == [appeal.pk]
    assert selectors.appeals_for_officer(user=make_officer(district("astana-baikonur"))) == []


# --- deciding -------------------------------------------------------------------------------------------


def test_a_decision_needs_a_reason_an_officer_of_the_district_and_happens_once(officer):
    application = make_application(status="withdrawn")
    appeal = file_about(application.applicant, "application", application.pk)
    with pytest.raises(AppealDecisionReasonRequired):
        appeal_decide(actor=officer, appeal_id=appeal.pk, upheld=False, reason=" ")
    with pytest.raises(OutOfScope):
        appeal_decide(actor=make_officer(district("astana-baikonur")), appeal_id=appeal.pk, upheld=False, reason="no")
    with pytest.raises(RoleRequired):
        appeal_decide(actor=application.applicant, appeal_id=appeal.pk, upheld=True, reason="yes")
    appeal = appeal_decide(actor=officer, appeal_id=appeal.pk, upheld=False, reason="The withdrawal was the parent's own.")
    assert (appeal.status, appeal.decided_by_id) == ("rejected", officer.pk)
    assert not RemedyAction.objects.exists()
    with pytest.raises(AppealNotOpen):
        appeal_decide(actor=officer, appeal_id=appeal.pk, upheld=True, reason="changed my mind")
    message = OutboxMessage.objects.get(idempotency_key=f"appeal:{appeal.pk}:decided")
    assert "The withdrawal was the parent's own." in message.body
    assert AuditEvent.objects.filter(action="appeals.appeal.decide", object_id=str(appeal.pk)).count() == 1


def test_upheld_lost_place_restores_a_withdrawn_application_with_its_registration_time(officer):
    registered = timezone.now() - dt.timedelta(days=400)
    application = make_application(status="withdrawn", registered_at=registered, priority_class=1)
    appeal = file_about(application.applicant, "application", application.pk)
    appeal_decide(actor=officer, appeal_id=appeal.pk, upheld=True, reason="Withdrawn by a fault of the site.")
    action = RemedyAction.objects.get(appeal=appeal)
    assert action.outcome == "restored"
    restored = Application.objects.get(pk=action.new_item_id)
    assert (restored.status, restored.registered_at, restored.priority_class, restored.child_id) == (
        "active", registered, 1, application.child_id)
    assert AuditEvent.objects.filter(action="placements.application.restore", object_id=str(restored.pk)).exists()


def test_upheld_lost_place_reactivates_an_inactive_application_beyond_the_parents_window(officer):
    application = make_application(status="inactive", reactivations_used=1)
    appeal = file_about(application.applicant, "application", application.pk)
    appeal_decide(actor=officer, appeal_id=appeal.pk, upheld=True, reason="The site was down.")
    application.refresh_from_db()
    assert (application.status, application.reactivations_used) == ("active", 1)
    assert RemedyAction.objects.get(appeal=appeal).outcome == "restored"


def test_upheld_expired_offer_reopens_the_same_place_with_a_fresh_deadline(officer, expired_offer):
    parent = expired_offer.application.applicant
    appeal = file_about(parent, "offer", expired_offer.pk, kind="offer_expired_while_down")
    appeal_decide(actor=officer, appeal_id=appeal.pk, upheld=True, reason="The site was down on the last day.")
    action = RemedyAction.objects.get(appeal=appeal)
    new_offer = Offer.objects.get(pk=action.new_item_id)
    assert (action.outcome, new_offer.status, new_offer.place_id) == ("restored", "open", expired_offer.place_id)
    assert new_offer.deadline > timezone.now()
    assert Application.objects.get(pk=expired_offer.application_id).status == "offered"
    place = RoundPlace.objects.get(pk=expired_offer.place_id)
    assert place.taken == place.places == 1


def test_a_taken_place_is_never_offered_beyond_capacity_the_position_is_kept(officer):
    start = timezone.now() - dt.timedelta(days=50)
    first, second = (make_application(registered_at=start + dt.timedelta(days=i)) for i in range(2))
    ran = make_ran_round(applications=[first, second])
    expire(ran)  # the first lets it lapse; the place passes to the second child
    expired = Offer.objects.get(application=first)
    assert Offer.objects.get(application=second).status == "open"
    appeal = file_about(first.applicant, "offer", expired.pk, kind="offer_expired_while_down")
    appeal_decide(actor=officer, appeal_id=appeal.pk, upheld=True, reason="The SMS gateway failed.")
    action = RemedyAction.objects.get(appeal=appeal)
    assert (action.outcome, action.new_item_id) == ("position_kept", None)
    assert Offer.objects.filter(application=first, status="open").count() == 0
    first.refresh_from_db()
    assert (first.status, first.registered_at) == ("active", start)
    assert RoundPlace.objects.get(pk=expired.place_id).taken == 1


def test_upheld_voucher_appeal_reinstates_within_the_quota(officer):
    parent, voucher, campaign = cancelled_voucher(quota=2)
    appeal = file_about(parent, "voucher", voucher.pk)
    appeal_decide(actor=officer, appeal_id=appeal.pk, upheld=True, reason="Cancelled by mistake.")
    action = RemedyAction.objects.get(appeal=appeal)
    new = Voucher.objects.get(pk=action.new_item_id)
    assert (action.outcome, action.beyond_quota, new.status, new.child_id) == ("restored", False, "issued", voucher.child_id)
    assert new.pool_claim.pool.taken == 1
    assert AuditEvent.objects.get(action="vouchers.voucher.reinstate").after["beyond_quota"] is False


def test_a_voucher_is_reinstated_beyond_the_quota_when_it_is_gone_and_recorded_as_such(officer):
    parent, voucher, campaign = cancelled_voucher(quota=1)
    claim_voucher(campaign)  # the freed place went to another child
    appeal = file_about(parent, "voucher", voucher.pk)
    appeal_decide(actor=officer, appeal_id=appeal.pk, upheld=True, reason="Cancelled by mistake.")
    action = RemedyAction.objects.get(appeal=appeal)
    assert (action.outcome, action.beyond_quota) == ("restored", True)
    assert Voucher.objects.get(pk=action.new_item_id).status == "issued"
    assert Voucher.objects.filter(campaign=campaign, status="issued").count() == 2


def test_a_remedy_the_owning_service_refuses_is_recorded_not_possible(officer):
    parent, voucher, campaign = cancelled_voucher()
    appeal = file_about(parent, "voucher", voucher.pk)
    # Meanwhile the child got another voucher of the same kind: one held voucher per child and kind.
    Voucher.objects.create(campaign=campaign, kind=campaign.kind, child=voucher.child, holder=parent)
    appeal_decide(actor=officer, appeal_id=appeal.pk, upheld=True, reason="Cancelled by mistake.")
    action = RemedyAction.objects.get(appeal=appeal)
    assert action.outcome == "not_possible" and "already holds" in action.note
    assert Appeal.objects.get(pk=appeal.pk).status == "upheld"


def test_wrong_priority_is_left_to_the_document_review(officer):
    application = make_application()
    appeal = file_about(application.applicant, "application", application.pk, kind="wrong_priority")
    appeal_decide(actor=officer, appeal_id=appeal.pk, upheld=True, reason="The right is confirmed.")
    assert RemedyAction.objects.get(appeal=appeal).outcome == "pending"


# --- payment statements ---------------------------------------------------------------------------------


def _statement(organisation, **fields):
    from kezek.payments.models import Statement

    return Statement.objects.create(organisation=organisation, month=dt.date(2025, 9, 1), payment_rule="per_session",
                                    due_on=dt.date(2025, 10, 18), **fields)


def test_provider_staff_appeal_a_refused_payment_and_the_officer_adds_an_adjustment(officer, yesil):
    organisation = make_organisation(kind=Organisation.Kind.CLUB, district=yesil)
    staff = make_provider_staff(organisation)
    statement = _statement(organisation, status="approved", approved_at=timezone.now(), approved_by=officer,
                           approved_total=Decimal("0"), approved_digest="x" * 64)
    with pytest.raises(AppealSubjectNotFound):
        file_about(make_provider_staff(make_organisation()), "payment_statement", statement.pk, kind="payment_refused")
    pending = file_about(staff, "payment_statement", statement.pk, kind="payment_refused", text="September unpaid.")
    appeal_decide(actor=officer, appeal_id=pending.pk, upheld=True, reason="Sessions were held.")
    assert RemedyAction.objects.get(appeal=pending).outcome == "pending"
    paid = file_about(staff, "payment_statement", statement.pk, kind="payment_refused", text="October too.")
    appeal_decide(actor=officer, appeal_id=paid.pk, upheld=True, reason="Sessions were held.", amount=Decimal("12000"))
    action = RemedyAction.objects.get(appeal=paid)
    assert action.outcome == "restored"
    line = statement.lines.get(pk=action.new_item_id)
    assert (line.kind, line.amount, line.reason) == ("adjustment", Decimal("12000"), "Sessions were held.")


# --- seeing appeals -------------------------------------------------------------------------------------


def test_only_the_filer_and_the_districts_officers_see_an_appeal(officer):
    application = make_application()
    appeal = file_about(application.applicant, "application", application.pk)
    assert selectors.appeal_get(user=application.applicant, appeal_id=appeal.pk).pk == appeal.pk
    assert selectors.appeal_get(user=officer, appeal_id=appeal.pk).pk == appeal.pk
    assert [a.pk for a in selectors.appeals_of_filer(user=application.applicant)] == [appeal.pk]
    for user in (make_parent(), make_officer(district("astana-baikonur"))):
        with pytest.raises(AppealNotFound):
            selectors.appeal_get(user=user, appeal_id=appeal.pk)
    assert AppealDocument.objects.count() == 0
