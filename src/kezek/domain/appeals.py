"""Appeals and incident remedies: what may be appealed, by whom, by when it must be decided, and what a win restores.

An appeal names one subject the filer owns (an application, an offer, a voucher or a payment statement) and
one kind of wrong. An officer of the subject's district must decide within the region's number of working
days (``kezek.domain.workdays``: the filing day never counts; the deadline is the end of the N-th working
day). A decision always carries a reason. A decision in the filer's favour executes the kind's remedy.

An incident is a window of time in which the site failed; offers that lapsed and vouchers cancelled inside
it may be restored in one action, each at most once.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from kezek.domain.deadlines import end_of_working_days
from kezek.domain.errors import Conflict, InvalidInput, NotFound, gettext_noop

MAX_TEXT_CHARS = 5000
MAX_REASON_CHARS = 2000
MAX_DOCUMENTS = 5
DOCUMENT_MAX_BYTES = 5 * 1024 * 1024
MAX_INCIDENT_DAYS = 31


class AppealKind(StrEnum):
    LOST_PLACE = "lost_place"
    OFFER_EXPIRED_WHILE_DOWN = "offer_expired_while_down"
    WRONG_PRIORITY = "wrong_priority"
    PAYMENT_REFUSED = "payment_refused"


class SubjectKind(StrEnum):
    APPLICATION = "application"
    OFFER = "offer"
    VOUCHER = "voucher"
    PAYMENT_STATEMENT = "payment_statement"


class AppealStatus(StrEnum):
    OPEN = "open"
    UPHELD = "upheld"  # decided in the filer's favour: the remedy runs
    REJECTED = "rejected"


class Remedy(StrEnum):
    RESTORE_QUEUE_POSITION = "restore_queue_position"
    REINSTATE_VOUCHER = "reinstate_voucher"
    REOPEN_OFFER = "reopen_offer"
    PAYMENT_ADJUSTMENT = "payment_adjustment"
    REVIEW_PRIORITY = "review_priority"  # the officer corrects the benefit rights in the document review


class RemedyOutcome(StrEnum):
    RESTORED = "restored"
    POSITION_KEPT = "position_kept"  # the offered place is taken: the application keeps its queue position instead
    NOT_POSSIBLE = "not_possible"
    PENDING = "pending"  # recorded; another service (or an officer) still has to act
    ALREADY_RESTORED = "already_restored"


APPEAL_TRANSITIONS: dict[AppealStatus, frozenset[AppealStatus]] = {
    AppealStatus.OPEN: frozenset({AppealStatus.UPHELD, AppealStatus.REJECTED}),
    AppealStatus.UPHELD: frozenset(),
    AppealStatus.REJECTED: frozenset(),
}

# Which subjects each kind of appeal may name.
SUBJECTS_BY_KIND: dict[AppealKind, frozenset[SubjectKind]] = {
    AppealKind.LOST_PLACE: frozenset({SubjectKind.APPLICATION, SubjectKind.VOUCHER}),
    AppealKind.OFFER_EXPIRED_WHILE_DOWN: frozenset({SubjectKind.OFFER}),
    AppealKind.WRONG_PRIORITY: frozenset({SubjectKind.APPLICATION}),
    AppealKind.PAYMENT_REFUSED: frozenset({SubjectKind.PAYMENT_STATEMENT}),
}

# Parents appeal for their children; provider staff for their organisation's payment.
PARENT_SUBJECTS = frozenset({SubjectKind.APPLICATION, SubjectKind.OFFER, SubjectKind.VOUCHER})
PROVIDER_SUBJECTS = frozenset({SubjectKind.PAYMENT_STATEMENT})

REMEDIES: dict[tuple[AppealKind, SubjectKind], Remedy] = {
    (AppealKind.LOST_PLACE, SubjectKind.APPLICATION): Remedy.RESTORE_QUEUE_POSITION,
    (AppealKind.LOST_PLACE, SubjectKind.VOUCHER): Remedy.REINSTATE_VOUCHER,
    (AppealKind.OFFER_EXPIRED_WHILE_DOWN, SubjectKind.OFFER): Remedy.REOPEN_OFFER,
    (AppealKind.WRONG_PRIORITY, SubjectKind.APPLICATION): Remedy.REVIEW_PRIORITY,
    (AppealKind.PAYMENT_REFUSED, SubjectKind.PAYMENT_STATEMENT): Remedy.PAYMENT_ADJUSTMENT,
}


# --- errors ------------------------------------------------------------------------------------------


class AppealNotFound(NotFound):
    code = "appeal_not_found"
    message = gettext_noop("There is no such appeal.")


class AppealKindUnknown(InvalidInput):
    code = "appeal_kind_unknown"
    message = gettext_noop("Choose what the appeal is about.")
    hint = gettext_noop("An appeal is about a lost place, an offer that expired while the site was down, a wrong priority or a refused payment.")


class AppealSubjectMismatch(InvalidInput):
    code = "appeal_subject_mismatch"
    message = gettext_noop("This kind of appeal cannot be about a %(subject)s.")
    hint = gettext_noop("A lost place names an application or a voucher, an expired offer names the offer, a wrong priority names the application, a refused payment names the payment statement.")


class AppealSubjectNotAllowed(InvalidInput):
    code = "appeal_subject_not_allowed"
    message = gettext_noop("Your account cannot appeal about a %(subject)s.")
    hint = gettext_noop("Parents appeal about their children's applications, offers and vouchers; provider staff about their payment statements.")


class AppealSubjectNotFound(InvalidInput):
    code = "appeal_subject_not_found"
    message = gettext_noop("You have no %(subject)s with number %(number)s.")
    hint = gettext_noop("Check the number in your personal cabinet: you can appeal only about your own records.")


class AppealTextRequired(InvalidInput):
    code = "appeal_text_required"
    message = gettext_noop("Describe what happened, in at most %(max_chars)s characters.")
    hint = gettext_noop("Say what went wrong and when; attach documents if you have any.")


class AppealTooManyDocuments(InvalidInput):
    code = "appeal_too_many_documents"
    message = gettext_noop("An appeal can carry at most %(max_documents)s documents.")
    hint = gettext_noop("Combine the pages into one PDF file.")


class AppealDecisionReasonRequired(InvalidInput):
    code = "appeal_reason_required"
    message = gettext_noop("Write the reason for the decision, in at most %(max_chars)s characters.")
    hint = gettext_noop("The reason is sent to the person who filed the appeal and kept in the audit trail.")


class AppealNotOpen(Conflict):
    code = "appeal_not_open"
    message = gettext_noop("This appeal was already decided.")
    hint = gettext_noop("Reload the page to see the decision.")


class IncidentWindowInvalid(InvalidInput):
    code = "incident_window_invalid"
    message = gettext_noop("An incident must end after it starts, not in the future, and last at most %(max_days)s days.")
    hint = gettext_noop("Enter the time the failure started and the time it was fixed.")


class IncidentDescriptionRequired(InvalidInput):
    code = "incident_description_required"
    message = gettext_noop("Describe what failed, in at most %(max_chars)s characters.")
    hint = gettext_noop("The description is published on the public timeline.")


class IncidentNotFound(NotFound):
    code = "incident_not_found"
    message = gettext_noop("There is no such incident.")


# --- rules -------------------------------------------------------------------------------------------


def check_appeal_transition(current: str, target: str) -> None:
    """Refuse a second decision (rule: an appeal is decided once)."""
    if AppealStatus(target) not in APPEAL_TRANSITIONS[AppealStatus(current)]:
        raise AppealNotOpen()


def check_subject(*, kind: str, subject_kind: str, filer_is_provider: bool) -> Remedy:
    """The remedy of an appeal of ``kind`` about ``subject_kind`` (rule: each kind names its own subjects and filers)."""
    try:
        appeal_kind = AppealKind(kind)
    except ValueError:
        raise AppealKindUnknown() from None
    try:
        subject = SubjectKind(subject_kind)
    except ValueError:
        raise AppealSubjectMismatch(subject=str(subject_kind)[:40]) from None
    if subject not in SUBJECTS_BY_KIND[appeal_kind]:
        raise AppealSubjectMismatch(subject=subject.value)
    if subject not in (PROVIDER_SUBJECTS if filer_is_provider else PARENT_SUBJECTS):
        raise AppealSubjectNotAllowed(subject=subject.value)
    return REMEDIES[(appeal_kind, subject)]


def _clean_text(text: str | None, max_chars: int) -> str | None:
    cleaned = (text or "").strip()
    return cleaned if cleaned and len(cleaned) <= max_chars else None


def clean_appeal_text(text: str | None) -> str:
    """The appeal's text, trimmed (rule: required, at most 5,000 characters)."""
    cleaned = _clean_text(text, MAX_TEXT_CHARS)
    if cleaned is None:
        raise AppealTextRequired(max_chars=MAX_TEXT_CHARS)
    return cleaned


def clean_decision_reason(reason: str | None) -> str:
    """A decision's reason, trimmed (rule: every decision has a reason, at most 2,000 characters)."""
    cleaned = _clean_text(reason, MAX_REASON_CHARS)
    if cleaned is None:
        raise AppealDecisionReasonRequired(max_chars=MAX_REASON_CHARS)
    return cleaned


def check_document_count(*, existing: int, adding: int) -> None:
    """Refuse documents beyond the limit (rule: at most 5 documents per appeal)."""
    if existing + adding > MAX_DOCUMENTS:
        raise AppealTooManyDocuments(max_documents=MAX_DOCUMENTS)


def appeal_deadline(filed_at: dt.datetime, working_days: int, tz: dt.tzinfo) -> dt.datetime:
    """When the officer's decision is due (rule: the region's N working days; exclusive, local midnight after the N-th)."""
    return end_of_working_days(filed_at, working_days, tz)


def is_overdue(*, status: str, deadline: dt.datetime, now: dt.datetime) -> bool:
    """An open appeal past its deadline (rule: overdue appeals are shown to officers)."""
    return status == AppealStatus.OPEN and now >= deadline


def check_incident(*, starts_at: dt.datetime, ends_at: dt.datetime, now: dt.datetime, description: str | None) -> str:
    """Refuse an impossible incident window or a missing description (rule: a past window of at most 31 days)."""
    if not (starts_at < ends_at <= now and ends_at - starts_at <= dt.timedelta(days=MAX_INCIDENT_DAYS)):
        raise IncidentWindowInvalid(max_days=MAX_INCIDENT_DAYS)
    cleaned = _clean_text(description, MAX_REASON_CHARS)
    if cleaned is None:
        raise IncidentDescriptionRequired(max_chars=MAX_REASON_CHARS)
    return cleaned


def within_quota(*, held: int, quota: int) -> bool:
    """Whether a reinstated voucher still fits the campaign's quota (rule: beyond it, it is recorded as such)."""
    return held < quota
