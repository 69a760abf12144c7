"""Erasure by anonymisation: refused while anything is live (and says what), then names, IINs, phones, documents,
sessions and sign-in data go for good; paid records stay, linked to placeholders; a second run changes nothing;
the audit chain still verifies."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session as DjangoSession
from django.core.files.storage import default_storage
from django.utils import translation

from kezek.accounts.models import OtpChallenge, User, UserSession
from kezek.accounts.permissions import RoleRequired
from kezek.appeals.models import Appeal
from kezek.audit.models import AuditEvent
from kezek.audit.selectors import audit_verify
from kezek.domain.privacy import ErasureRequestClosed, PersonHasLiveRecords, is_placeholder_iin
from kezek.notifications.models import OutboxMessage
from kezek.payments.models import StatementLine
from kezek.payments.selectors import statement_intact
from kezek.people.models import BenefitFact, LegalRepresentation, Person
from kezek.privacy.models import Anonymisation
from kezek.privacy.services import (
    erasure_request_carry_out,
    erasure_request_create,
    erasure_request_refuse,
    person_anonymise,
)
from tests.factories.accounts import make_admin
from tests.integration.privacy.conftest import live_application


def test_refused_while_an_application_is_live_and_the_error_lists_it(family):
    application = live_application(family)
    with translation.override("en"), pytest.raises(PersonHasLiveRecords) as refused:
        person_anonymise(person=family.parent, requested_by=None, reason="request 1")
    assert refused.value.items == [f"kindergarten application #{application.pk}"]
    assert f"#{application.pk}" in str(refused.value)
    family.parent.refresh_from_db()
    assert not is_placeholder_iin(family.parent.iin) and not Anonymisation.objects.exists()


def test_anonymise_replaces_identity_removes_files_and_sign_in_data(family, django_capture_on_commit_callbacks):
    claim_file, appeal_file = family.claim.document.name, family.appeal_document.file.name
    assert default_storage.exists(claim_file) and default_storage.exists(appeal_file)
    old_iins = {family.parent.iin, family.child.iin}
    DjangoSession.objects.create(session_key="privacy-test-session", session_data="x", expire_date="2099-01-01T00:00Z")
    admin = make_admin()
    with django_capture_on_commit_callbacks(execute=True):  # the files go once the rows no longer name them
        result = person_anonymise(person=family.parent, requested_by=admin, reason="erasure request 7")
    assert result.people == [family.parent.pk, family.child.pk]

    for person in (family.parent, family.child):
        person.refresh_from_db()
        assert is_placeholder_iin(person.iin) and person.last_name == person.first_name == "***"
        assert (person.patronymic, person.phone) == ("", "")
        assert (person.birth_date.month, person.birth_date.day) == (1, 1)
    assert not Person.objects.filter(iin__in=old_iins).exists()
    assert not LegalRepresentation.objects.filter(child=family.child).exists()
    assert not BenefitFact.objects.filter(person=family.child).exists()
    assert not default_storage.exists(claim_file) and not default_storage.exists(appeal_file)
    family.claim.refresh_from_db()
    assert family.claim.document.name == "" and family.claim.document_sha256 == "a" * 64  # the record of what was shown
    assert Appeal.objects.get(pk=family.appeal.pk).text == "***"

    account = User.objects.get(pk=family.account.pk)
    assert account.username == f"anonymised-{account.pk}" and not account.is_active and account.display_name == ""
    assert not account.has_usable_password()
    assert not UserSession.objects.filter(user=account).exists()
    assert not DjangoSession.objects.filter(session_key="privacy-test-session").exists()
    assert not OtpChallenge.objects.exists() and not OutboxMessage.objects.exists()
    # The paid month stays: the line still points at the (now anonymous) child.
    assert StatementLine.objects.filter(statement=family.statement, child=family.child).count() == 1
    assert statement_intact(statement=family.statement)

    event = AuditEvent.objects.get(action="privacy.person.anonymise")
    assert (event.actor_id, event.object_id) == (admin.pk, str(family.parent.pk))
    assert event.after["people"] == [family.parent.pk, family.child.pk]
    assert audit_verify().ok


def test_a_second_run_changes_nothing(family):
    person_anonymise(person=family.parent, requested_by=None, reason="first")
    snapshot = list(Person.objects.filter(pk__in=[family.parent.pk, family.child.pk]).order_by("pk").values())
    events = AuditEvent.objects.count()
    again = person_anonymise(person=family.parent, requested_by=None, reason="second")
    assert not again.changed and again.removed == {}
    assert list(Person.objects.filter(pk__in=[family.parent.pk, family.child.pk]).order_by("pk").values()) == snapshot
    assert AuditEvent.objects.count() == events and Anonymisation.objects.count() == 2


def test_only_administrators_anonymise_and_a_reason_is_required(family):
    with pytest.raises(RoleRequired):
        person_anonymise(person=family.child, requested_by=family.officer, reason="no")
    with pytest.raises(ValueError):
        person_anonymise(person=family.child, requested_by=None, reason="  ")
    assert not Anonymisation.objects.exists()


def test_a_child_alone_can_be_anonymised_and_the_parent_keeps_their_identity(family):
    result = person_anonymise(person=family.child, requested_by=None, reason="child only")
    assert result.people == [family.child.pk]
    family.parent.refresh_from_db()
    assert not is_placeholder_iin(family.parent.iin) and User.objects.get(pk=family.account.pk).is_active


def test_an_erasure_request_is_decided_once(family):
    admin = make_admin()
    refused = erasure_request_create(user=family.account, reason="please")
    erasure_request_refuse(request_id=refused.pk, actor=admin, note="the child still attends a kindergarten")
    refused.refresh_from_db()
    assert (refused.status, refused.decision_note) == ("refused", "the child still attends a kindergarten")
    assert AuditEvent.objects.filter(action="privacy.erasure.refuse", object_id=str(refused.pk)).count() == 1
    for decide in (lambda: erasure_request_refuse(request_id=refused.pk, actor=admin, note="again"),
                   lambda: erasure_request_carry_out(request_id=refused.pk, actor=admin)):
        with pytest.raises(ErasureRequestClosed):
            decide()
    family.parent.refresh_from_db()
    assert not is_placeholder_iin(family.parent.iin)  # a refused request erases nothing

    done = erasure_request_create(user=family.account, reason="asked again")
    erasure_request_carry_out(request_id=done.pk, actor=admin)
    done.refresh_from_db()
    assert done.status == "done"
    with pytest.raises(ErasureRequestClosed):
        erasure_request_refuse(request_id=done.pk, actor=admin, note="too late")
