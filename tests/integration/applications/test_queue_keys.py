"""The preference rows' copies of their application's queue-order keys stay equal to the application's.

Per-kindergarten positions count preference rows by these copies (no join), so every service that changes
an application's status or class, or writes its choices, must leave them equal. The check here is a plain
query for rows that differ, independent of the position selector.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.utils import timezone

from kezek.applications.models import Application, ApplicationPreference
from kezek.applications.selectors.position import application_position
from kezek.applications.services.claims import (
    claim_add,
    claim_document_upload,
    claim_reject,
    claim_verify,
    claims_expire_due,
)
from kezek.applications.services.queue_keys import application_queue_keys_sync
from kezek.applications.services.submission import application_update_preferences, application_withdraw
from kezek.domain.queue import PriorityClass
from tests.factories.accounts import make_officer
from tests.factories.applications import make_applying_family, make_application, submit_application
from tests.factories.organisations import make_organisation
from tests.factories.people import add_benefit

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
KEYS = ("district_id", "age_group", "status", "priority_class", "registered_at")


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"


def mismatches() -> list[tuple]:
    """Preference rows whose copies differ from their application's values (expected: none)."""
    rows = ApplicationPreference.objects.exclude(**{key: F(f"application__{key}") for key in KEYS})
    return list(rows.values_list("application_id", "organisation_id", *KEYS))


def copies(application: Application) -> set[tuple]:
    return set(ApplicationPreference.objects.filter(application=application).values_list(*KEYS))


def expected(application: Application) -> set[tuple]:
    application.refresh_from_db()
    return {tuple(getattr(application, key) for key in KEYS)}


def upload(claim, parent):
    return claim_document_upload(
        actor=parent, claim_id=claim.pk, uploaded_file=SimpleUploadedFile("c.pdf", PDF, "application/pdf")
    )


def test_submission_copies_the_keys_including_a_registry_right():
    user, child, orgs = make_applying_family()
    add_benefit(child, "child_disability")  # confirmed by the registry: the class changes during submission
    app = submit_application(user=user, child=child, orgs=orgs)
    assert app.priority_class != PriorityClass.GENERAL
    assert ApplicationPreference.objects.filter(application=app).count() == 3
    assert copies(app) == expected(app)
    assert mismatches() == []


def test_changed_kindergartens_carry_the_keys():
    user, child, orgs = make_applying_family()
    app = submit_application(user=user, child=child, orgs=orgs)
    other = make_organisation(district=app.district)
    application_update_preferences(actor=user, application_id=app.pk, preferences=[other.pk, orgs[0].pk])
    assert set(ApplicationPreference.objects.filter(application=app).values_list("organisation_id", flat=True)) == {
        other.pk, orgs[0].pk,
    }
    assert copies(app) == expected(app)
    assert mismatches() == []


def test_class_changes_from_claims_are_copied():
    user, child, orgs = make_applying_family()
    app = submit_application(user=user, child=child, orgs=orgs)
    officer = make_officer(app.district)

    first = claim_add(actor=user, application_id=app.pk, kind="large_family")
    upload(first, user)
    claim_verify(actor=officer, claim_id=first.pk)
    assert expected(app) == {(app.district_id, app.age_group, "active", PriorityClass.FIRST, app.registered_at)}
    assert copies(app) == expected(app)

    extraordinary = claim_add(actor=user, application_id=app.pk, kind="military")  # counts at once
    assert copies(app) == expected(app) and app.priority_class == PriorityClass.EXTRAORDINARY

    upload(extraordinary, user)
    claim_reject(actor=officer, claim_id=extraordinary.pk, reason="forged", found_false=True)
    assert copies(app) == expected(app) and app.priority_class == PriorityClass.GENERAL
    assert mismatches() == []


def test_an_expired_extraordinary_right_is_copied():
    user, child, orgs = make_applying_family()
    app = submit_application(user=user, child=child, orgs=orgs)
    claim_add(actor=user, application_id=app.pk, kind="military")
    assert copies(app) == expected(app) and app.priority_class == PriorityClass.EXTRAORDINARY
    assert claims_expire_due(now=timezone.now() + dt.timedelta(days=30)) == 1
    assert copies(app) == expected(app) and app.priority_class == PriorityClass.GENERAL
    assert mismatches() == []


def test_withdrawal_is_copied_and_leaves_the_kindergarten_counts():
    user, child, orgs = make_applying_family()
    earlier = submit_application(user=user, child=child, orgs=orgs)
    later = submit_application(orgs=orgs)
    assert [k.position for k in application_position(application=later).per_kindergarten] == [2, 2, 2]

    application_withdraw(actor=user, application_id=earlier.pk)
    assert copies(earlier) == expected(earlier) == {
        (earlier.district_id, earlier.age_group, "withdrawn", earlier.priority_class, earlier.registered_at)
    }
    assert mismatches() == []
    assert [k.position for k in application_position(application=later).per_kindergarten] == [1, 1, 1]


def test_a_later_applicant_with_a_right_goes_ahead_in_each_kindergarten():
    user, child, orgs = make_applying_family()
    earlier = submit_application(user=user, child=child, orgs=orgs)
    later_user, later_child, _ = make_applying_family()
    later = submit_application(user=later_user, child=later_child, orgs=[orgs[2], orgs[0]])
    assert [k.position for k in application_position(application=earlier).per_kindergarten] == [1, 1, 1]

    claim_add(actor=later_user, application_id=later.pk, kind="military")
    earlier.refresh_from_db()
    later.refresh_from_db()
    assert [(k.organisation.pk, k.position) for k in application_position(application=earlier).per_kindergarten] == [
        (orgs[0].pk, 2), (orgs[1].pk, 1), (orgs[2].pk, 2),
    ]
    assert [k.position for k in application_position(application=later).per_kindergarten] == [1, 1]


def test_sync_repairs_copies_written_around_the_services():
    app = make_application(preferences=[make_organisation(), make_organisation()])
    assert mismatches() == []
    Application.objects.filter(pk=app.pk).update(status="withdrawn", priority_class=0)
    assert len(mismatches()) == 2  # the check can fail
    app.refresh_from_db()
    application_queue_keys_sync(application=app)
    assert mismatches() == []
