"""Offers, referrals and enrolments: their statuses, the moves between them, and the rules around them.

An offer is open until its deadline; the applicant accepts (it becomes a referral) or declines, or it
expires. A referral waits for the contract (5 working days, one extension) and becomes an enrolment when
the kindergarten's staff confirm the contract, or expires. A declined or expired offer, and an expired
referral, pass the place on to the next child in the round's stored order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from kezek.domain.errors import Conflict, NotFound, gettext_noop


class OfferStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class ReferralStatus(StrEnum):
    ISSUED = "issued"
    CONTRACTED = "contracted"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class EnrolmentStatus(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"


OFFER_TRANSITIONS: dict[OfferStatus, frozenset[OfferStatus]] = {
    OfferStatus.OPEN: frozenset({OfferStatus.ACCEPTED, OfferStatus.DECLINED, OfferStatus.EXPIRED, OfferStatus.CANCELLED}),
    OfferStatus.ACCEPTED: frozenset(),
    OfferStatus.DECLINED: frozenset(),
    OfferStatus.EXPIRED: frozenset(),
    OfferStatus.CANCELLED: frozenset(),
}

REFERRAL_TRANSITIONS: dict[ReferralStatus, frozenset[ReferralStatus]] = {
    ReferralStatus.ISSUED: frozenset({ReferralStatus.CONTRACTED, ReferralStatus.EXPIRED, ReferralStatus.CANCELLED}),
    ReferralStatus.CONTRACTED: frozenset(),
    ReferralStatus.EXPIRED: frozenset(),
    ReferralStatus.CANCELLED: frozenset(),
}

ENROLMENT_TRANSITIONS: dict[EnrolmentStatus, frozenset[EnrolmentStatus]] = {
    EnrolmentStatus.ACTIVE: frozenset({EnrolmentStatus.ENDED}),
    EnrolmentStatus.ENDED: frozenset(),
}

# An offer that ended this way hands its place to the next child.
PASS_ON_STATUSES = frozenset({OfferStatus.DECLINED, OfferStatus.EXPIRED})


class PlacementTransitionNotAllowed(Conflict):
    code = "placement_transition_not_allowed"
    message = gettext_noop("This is already %(current)s and cannot become %(target)s.")
    hint = gettext_noop("Reload the page to see the current state.")


class OfferNotFound(NotFound):
    code = "offer_not_found"
    message = gettext_noop("There is no such offer.")


class ReferralNotFound(NotFound):
    code = "referral_not_found"
    message = gettext_noop("There is no such referral.")


class EnrolmentNotFound(NotFound):
    code = "enrolment_not_found"
    message = gettext_noop("There is no such enrolment.")


class OfferClosed(Conflict):
    code = "offer_closed"
    message = gettext_noop("This offer was already answered or has ended.")
    hint = gettext_noop("Reload the page to see its current state.")


class OfferDeadlinePassed(Conflict):
    code = "offer_deadline_passed"
    message = gettext_noop("The time to answer this offer ended at %(deadline)s.")
    hint = gettext_noop("The place goes to the next child. You can reactivate your application once within 28 days.")


class ReferralNotIssued(Conflict):
    code = "referral_not_issued"
    message = gettext_noop("This referral is no longer waiting for a contract.")
    hint = gettext_noop("Reload the page to see its current state.")


class ContractDeadlinePassed(Conflict):
    code = "contract_deadline_passed"
    message = gettext_noop("The time to sign the contract ended at %(deadline)s.")
    hint = gettext_noop("The place has gone to the next child.")


class ExtensionReasonRequired(Conflict):
    code = "extension_reason_required"
    kind = "invalid"
    message = gettext_noop("Write why the deadline is extended.")
    hint = gettext_noop("The reason is kept in the audit trail.")


class GroupFull(Conflict):
    code = "group_full"
    message = gettext_noop("The group has no free place left: all %(capacity)s places are taken.")
    hint = gettext_noop("Check the group's capacity and enrolled children.")


class ApplicationNotInactive(Conflict):
    code = "application_not_inactive"
    message = gettext_noop("Only an inactive application can be reactivated.")
    hint = gettext_noop("Reload the page to see the application's current state.")


class NotEnrolled(Conflict):
    code = "not_enrolled"
    message = gettext_noop("Only a child who attends a kindergarten can ask for a transfer.")
    hint = gettext_noop("Apply for a kindergarten place instead.")


class TransferToSameKindergarten(Conflict):
    code = "transfer_same_kindergarten"
    kind = "invalid"
    message = gettext_noop("The child already attends this kindergarten.")
    hint = gettext_noop("Choose other kindergartens for the transfer.")


def _check(table: Mapping[StrEnum, frozenset[StrEnum]], current: StrEnum, target: StrEnum) -> None:
    if target not in table[current]:
        raise PlacementTransitionNotAllowed(current=str(current), target=str(target))


def check_offer_transition(current: str, target: str) -> None:
    """Refuse an offer status change the table does not allow (rule: an offer is answered or ends once)."""
    _check(OFFER_TRANSITIONS, OfferStatus(current), OfferStatus(target))


def check_referral_transition(current: str, target: str) -> None:
    """Refuse a referral status change the table does not allow (rule: a referral ends once)."""
    _check(REFERRAL_TRANSITIONS, ReferralStatus(current), ReferralStatus(target))


def check_enrolment_transition(current: str, target: str) -> None:
    """Refuse an enrolment status change the table does not allow (rule: an enrolment ends once)."""
    _check(ENROLMENT_TRANSITIONS, EnrolmentStatus(current), EnrolmentStatus(target))


def referral_number(*, district_code: str, year: int, seq: int) -> str:
    """The referral's printed number (rule: KZ-<district code>-<year>-<sequence within the district and year>)."""
    if seq < 1:
        raise ValueError("a referral sequence starts at 1")
    return f"KZ-{district_code.upper()}-{year}-{seq:06d}"


def next_in_line(order: Iterable[str], eligible: set[str] | frozenset[str]) -> str | None:
    """The first applicant in the place's stored order who can still take it (rule: the place goes on by the same policy)."""
    return next((applicant for applicant in order if applicant in eligible), None)
