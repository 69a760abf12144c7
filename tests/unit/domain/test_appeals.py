"""Appeal rules: subjects per kind and filer, texts and reasons, documents, working-day deadlines, incident windows."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from kezek.domain import appeals
from kezek.domain.appeals import (
    AppealDecisionReasonRequired,
    AppealKindUnknown,
    AppealNotOpen,
    AppealSubjectMismatch,
    AppealSubjectNotAllowed,
    AppealTextRequired,
    AppealTooManyDocuments,
    IncidentDescriptionRequired,
    IncidentWindowInvalid,
    Remedy,
)

ALMATY = ZoneInfo("Asia/Almaty")


@pytest.mark.parametrize(
    ("kind", "subject", "provider", "remedy"),
    [
        ("lost_place", "application", False, Remedy.RESTORE_QUEUE_POSITION),
        ("lost_place", "voucher", False, Remedy.REINSTATE_VOUCHER),
        ("offer_expired_while_down", "offer", False, Remedy.REOPEN_OFFER),
        ("wrong_priority", "application", False, Remedy.REVIEW_PRIORITY),
        ("payment_refused", "payment_statement", True, Remedy.PAYMENT_ADJUSTMENT),
    ],
)
def test_each_kind_names_its_subject_and_remedy(kind, subject, provider, remedy):
    assert appeals.check_subject(kind=kind, subject_kind=subject, filer_is_provider=provider) == remedy


def test_unknown_kind_and_subject_are_refused():
    with pytest.raises(AppealKindUnknown):
        appeals.check_subject(kind="revenge", subject_kind="offer", filer_is_provider=False)
    with pytest.raises(AppealSubjectMismatch) as caught:
        appeals.check_subject(kind="lost_place", subject_kind="x" * 100, filer_is_provider=False)
    assert caught.value.params["subject"] == "x" * 40


def test_a_kind_cannot_name_another_subject():
    with pytest.raises(AppealSubjectMismatch):
        appeals.check_subject(kind="offer_expired_while_down", subject_kind="voucher", filer_is_provider=False)


def test_parents_and_providers_appeal_about_their_own_kind_of_record():
    with pytest.raises(AppealSubjectNotAllowed):
        appeals.check_subject(kind="payment_refused", subject_kind="payment_statement", filer_is_provider=False)
    with pytest.raises(AppealSubjectNotAllowed):
        appeals.check_subject(kind="lost_place", subject_kind="application", filer_is_provider=True)


def test_appeal_text_is_required_and_bounded():
    assert appeals.clean_appeal_text("  lost my place  ") == "lost my place"
    for bad in (None, "", "   ", "x" * (appeals.MAX_TEXT_CHARS + 1)):
        with pytest.raises(AppealTextRequired):
            appeals.clean_appeal_text(bad)


def test_decision_reason_is_required_and_bounded():
    assert appeals.clean_decision_reason(" site was down ") == "site was down"
    for bad in (None, " ", "x" * (appeals.MAX_REASON_CHARS + 1)):
        with pytest.raises(AppealDecisionReasonRequired):
            appeals.clean_decision_reason(bad)


def test_document_count_limit():
    appeals.check_document_count(existing=3, adding=2)
    with pytest.raises(AppealTooManyDocuments):
        appeals.check_document_count(existing=4, adding=2)


def test_an_appeal_is_decided_once():
    appeals.check_appeal_transition("open", "upheld")
    appeals.check_appeal_transition("open", "rejected")
    with pytest.raises(AppealNotOpen):
        appeals.check_appeal_transition("upheld", "rejected")


def test_deadline_counts_working_days_across_nauryz():
    # Filed Thu 20 March 2025; 21-25 March are Nauryz holidays: 3 working days are 26, 27, 28 March.
    filed = dt.datetime(2025, 3, 20, 15, 0, tzinfo=ALMATY)
    assert appeals.appeal_deadline(filed, 3, ALMATY) == dt.datetime(2025, 3, 29, tzinfo=ALMATY)


def test_overdue_only_while_open_and_past_the_deadline():
    deadline = dt.datetime(2025, 3, 29, tzinfo=ALMATY)
    assert appeals.is_overdue(status="open", deadline=deadline, now=deadline)
    assert not appeals.is_overdue(status="open", deadline=deadline, now=deadline - dt.timedelta(seconds=1))
    assert not appeals.is_overdue(status="upheld", deadline=deadline, now=deadline + dt.timedelta(days=1))


def test_incident_window_rules():
    now = dt.datetime(2025, 5, 10, 12, tzinfo=ALMATY)
    start = now - dt.timedelta(hours=5)
    assert appeals.check_incident(starts_at=start, ends_at=now, now=now, description=" SMS down ") == "SMS down"
    bad_windows = [
        (now, start),  # ends before it starts
        (start, now + dt.timedelta(minutes=1)),  # ends in the future
        (now - dt.timedelta(days=40), now),  # too long
    ]
    for starts_at, ends_at in bad_windows:
        with pytest.raises(IncidentWindowInvalid):
            appeals.check_incident(starts_at=starts_at, ends_at=ends_at, now=now, description="x")
    with pytest.raises(IncidentDescriptionRequired):
        appeals.check_incident(starts_at=start, ends_at=now, now=now, description="  ")


def test_quota():
    assert appeals.within_quota(held=4, quota=5)
    assert not appeals.within_quota(held=5, quota=5)
