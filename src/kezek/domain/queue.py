"""Kindergarten queue rules: priority classes, eligibility by age, age groups and status transitions.

Every number is a field of ``QueueRules`` so that a region can set its own (ages, deadlines, rotation).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Literal

from kezek.domain.errors import Conflict, InvalidInput, gettext_noop
from kezek.domain.iin import age_in_months


class PriorityClass(IntEnum):
    """Lower is served first: extraordinary right, then first-priority right, then the general queue."""

    EXTRAORDINARY = 0
    FIRST = 1
    GENERAL = 2


# Benefit kinds as stored in kezek.people (BenefitKind values) and the class each one gives.
BENEFIT_CLASS: dict[str, PriorityClass] = {
    "military": PriorityClass.EXTRAORDINARY,
    "special_needs": PriorityClass.FIRST,
    "parent_disability": PriorityClass.FIRST,
    "no_parental_care": PriorityClass.FIRST,
    "orphan": PriorityClass.FIRST,
    "large_family": PriorityClass.FIRST,
    "child_disability": PriorityClass.FIRST,
    "teacher": PriorityClass.FIRST,
}


@dataclass(frozen=True)
class QueueRules:
    """A region's numbers for the kindergarten queue (defaults: Astana's rules in domain-notes.md)."""

    min_age_months: int = 0
    max_age_years: int = 6
    age_group_basis: Literal["birth_year", "years_on_sept_1"] = "birth_year"
    rotation_first_priority: int = 1
    rotation_general: int = 3
    extraordinary_confirm_working_days: int = 5
    stop_list_days: int = 10
    max_preferences: int = 5
    min_phones: int = 2
    document_max_bytes: int = 5 * 1024 * 1024
    # Offers and referrals (2024-26 voucher model): 2 working days to accept ("hours" counts calendar hours instead),
    # 5 working days to sign the contract, one extension of up to 30 days, reactivation within 28 days.
    offer_deadline_unit: Literal["working_days", "hours"] = "working_days"
    offer_deadline_value: int = 2
    contract_working_days: int = 5
    contract_extension_max_days: int = 30
    reactivation_days: int = 28


class ApplicationStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"  # ignored an offer; can be reactivated once within 28 days
    OFFERED = "offered"
    ENROLLED = "enrolled"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"


# Statuses in which the child holds the one application the database allows.
OPEN_STATUSES = frozenset({ApplicationStatus.ACTIVE, ApplicationStatus.INACTIVE, ApplicationStatus.OFFERED})

APPLICATION_TRANSITIONS: dict[ApplicationStatus, frozenset[ApplicationStatus]] = {
    ApplicationStatus.ACTIVE: frozenset({ApplicationStatus.OFFERED, ApplicationStatus.WITHDRAWN, ApplicationStatus.CLOSED}),
    ApplicationStatus.OFFERED: frozenset(
        {ApplicationStatus.ACTIVE, ApplicationStatus.INACTIVE, ApplicationStatus.ENROLLED, ApplicationStatus.WITHDRAWN}
    ),
    ApplicationStatus.INACTIVE: frozenset({ApplicationStatus.ACTIVE, ApplicationStatus.WITHDRAWN, ApplicationStatus.CLOSED}),
    ApplicationStatus.ENROLLED: frozenset({ApplicationStatus.CLOSED}),
    ApplicationStatus.WITHDRAWN: frozenset(),
    ApplicationStatus.CLOSED: frozenset(),
}


class TransitionNotAllowed(Conflict):
    code = "transition_not_allowed"
    message = gettext_noop("An application that is %(current)s cannot become %(target)s.")
    hint = gettext_noop("Reload the page to see the application's current state.")


def check_transition(current: str, target: str) -> None:
    """Refuse a status change the transition table does not allow (rule: statuses move only forward)."""
    if ApplicationStatus(target) not in APPLICATION_TRANSITIONS[ApplicationStatus(current)]:
        raise TransitionNotAllowed(current=current, target=target)


class ChildTooOld(InvalidInput):
    code = "child_too_old"
    message = gettext_noop("On the desired start date the child will be %(years)s or older: kindergarten is for children under %(years)s.")
    hint = gettext_noop("Choose an earlier start date, or look at pre-school classes at school.")


class ChildNotBorn(InvalidInput):
    code = "child_not_born"
    message = gettext_noop("The child is not yet born or too young on the desired start date.")
    hint = gettext_noop("Choose a start date when the child will be at least %(months)s months old.")


def check_age(*, birth_date: dt.date, start_date: dt.date, rules: QueueRules) -> None:
    """Refuse a child outside the region's kindergarten ages on the desired start date."""
    months = age_in_months(birth_date, start_date)
    if months < max(rules.min_age_months, 0):
        raise ChildNotBorn(months=rules.min_age_months)
    if months >= rules.max_age_years * 12:
        raise ChildTooOld(years=rules.max_age_years)


def age_group(*, birth_date: dt.date, start_date: dt.date, rules: QueueRules) -> int:
    """The queue's age group: the birth year, or the full years on 1 September of the start year."""
    if rules.age_group_basis == "birth_year":
        return birth_date.year
    september = dt.date(start_date.year, 9, 1)
    return (september.year - birth_date.year) - ((september.month, september.day) < (birth_date.month, birth_date.day))


def class_for_benefits(kinds: set[str] | frozenset[str]) -> PriorityClass:
    """The best class any of these confirmed benefit kinds gives (general when none)."""
    return min((BENEFIT_CLASS[k] for k in kinds if k in BENEFIT_CLASS), default=PriorityClass.GENERAL)
