"""Club voucher rules: campaign and voucher statuses, the announcement lead time, stage shares, ages,
who may claim, and the order in which waiting children get a voucher (queue or committed-seed lottery).

Pure rules: the caller gives the clock, the settings and the rows as plain values.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from kezek.domain.errors import Conflict, InvalidInput, gettext_noop
from kezek.domain.iin import age_in_years

DEFAULT_LEAD_HOURS = 24
MAX_REASON_CHARS = 1000


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    ANNOUNCED = "announced"
    OPEN = "open"
    CLOSED = "closed"


class CampaignKind(StrEnum):
    TARGETED = "targeted"  # state providers, no queue
    UNIVERSAL = "universal"  # private providers


class CampaignPolicy(StrEnum):
    FIRST_COME = "first_come"
    LOTTERY = "lottery"
    QUEUE = "queue"


class VoucherStatus(StrEnum):
    ISSUED = "issued"
    PLACED = "placed"  # a section chosen and its place held, waiting for the provider to accept
    ACTIVE = "active"
    SUSPENDED = "suspended"
    RELEASED = "released"  # given back by the parent: the campaign gets it back
    CANCELLED = "cancelled"
    EXPIRED = "expired"


# Statuses in which the child holds the one voucher per campaign kind the database allows.
HELD_STATUSES = frozenset({VoucherStatus.ISSUED, VoucherStatus.PLACED, VoucherStatus.ACTIVE, VoucherStatus.SUSPENDED})
# Statuses in which a voucher keeps a place in a section.
SEATED_STATUSES = frozenset({VoucherStatus.PLACED, VoucherStatus.ACTIVE, VoucherStatus.SUSPENDED})

CAMPAIGN_TRANSITIONS: dict[CampaignStatus, frozenset[CampaignStatus]] = {
    CampaignStatus.DRAFT: frozenset({CampaignStatus.ANNOUNCED}),
    CampaignStatus.ANNOUNCED: frozenset({CampaignStatus.OPEN, CampaignStatus.CLOSED}),
    CampaignStatus.OPEN: frozenset({CampaignStatus.CLOSED}),
    CampaignStatus.CLOSED: frozenset(),
}

VOUCHER_TRANSITIONS: dict[VoucherStatus, frozenset[VoucherStatus]] = {
    VoucherStatus.ISSUED: frozenset(
        {VoucherStatus.PLACED, VoucherStatus.RELEASED, VoucherStatus.CANCELLED, VoucherStatus.EXPIRED}
    ),
    # PLACED -> ISSUED: the provider declined, or the parent withdrew the choice before acceptance.
    # PLACED -> PLACED: the parent moves the voucher to another section (see ``check_voucher_transition``).
    VoucherStatus.PLACED: frozenset(
        {VoucherStatus.ISSUED, VoucherStatus.PLACED, VoucherStatus.ACTIVE, VoucherStatus.RELEASED,
         VoucherStatus.CANCELLED, VoucherStatus.EXPIRED}
    ),
    # ACTIVE/SUSPENDED -> ISSUED: an upheld dispute ("my child does not attend this") gives the voucher back to the child.
    VoucherStatus.ACTIVE: frozenset(
        {VoucherStatus.ISSUED, VoucherStatus.PLACED, VoucherStatus.SUSPENDED, VoucherStatus.RELEASED,
         VoucherStatus.CANCELLED, VoucherStatus.EXPIRED}
    ),
    VoucherStatus.SUSPENDED: frozenset(
        {VoucherStatus.ISSUED, VoucherStatus.ACTIVE, VoucherStatus.CANCELLED, VoucherStatus.EXPIRED}
    ),
    VoucherStatus.RELEASED: frozenset(),
    VoucherStatus.CANCELLED: frozenset(),
    VoucherStatus.EXPIRED: frozenset(),
}


# --- errors ------------------------------------------------------------------------------------------


class CampaignTransitionNotAllowed(Conflict):
    code = "campaign_transition_not_allowed"
    message = gettext_noop("A campaign that is %(current)s cannot become %(target)s.")
    hint = gettext_noop("Reload the page to see the campaign's current state.")


class VoucherTransitionNotAllowed(Conflict):
    code = "voucher_transition_not_allowed"
    message = gettext_noop("A voucher that is %(current)s cannot become %(target)s.")
    hint = gettext_noop("Reload the page to see the voucher's current state.")


class AnnouncedTooLate(InvalidInput):
    code = "campaign_lead_time"
    message = gettext_noop("A campaign must be announced at least %(hours)s hours before its first stage opens.")
    hint = gettext_noop("Move the first stage to %(earliest)s or later, then announce again.")


class NoStages(InvalidInput):
    code = "campaign_no_stages"
    message = gettext_noop("A campaign needs at least one opening stage.")
    hint = gettext_noop("Add a stage with its opening time and its share of the quota.")


class SharesDoNotAddUp(InvalidInput):
    code = "campaign_shares_mismatch"
    message = gettext_noop("The stages' shares add up to %(total)s, but the quota is %(quota)s.")
    hint = gettext_noop("Change the shares so that together they make the whole quota.")


class InvalidShare(InvalidInput):
    code = "campaign_share_invalid"
    message = gettext_noop("Each stage must have a share of at least one voucher.")
    hint = gettext_noop("Give every stage a whole number of vouchers, 1 or more.")


class DuplicateStageTime(InvalidInput):
    code = "campaign_stage_time_duplicate"
    message = gettext_noop("Two stages open at the same time.")
    hint = gettext_noop("Give each stage its own opening time.")


class StageAfterPeriod(InvalidInput):
    code = "campaign_stage_after_period"
    message = gettext_noop("A stage opens after the campaign's period has ended.")
    hint = gettext_noop("Open every stage before the end of the period.")


class InvalidPeriod(InvalidInput):
    code = "campaign_period_invalid"
    message = gettext_noop("The period must end after it starts.")
    hint = gettext_noop("Check the start and end dates of the period.")


class InvalidAges(InvalidInput):
    code = "campaign_ages_invalid"
    message = gettext_noop("Eligible ages must be between %(low)s and %(high)s years, the youngest not above the oldest.")
    hint = gettext_noop("Club vouchers are for children aged %(low)s to %(high)s.")


class InvalidQuota(InvalidInput):
    code = "campaign_quota_invalid"
    message = gettext_noop("The quota and the monthly value must be whole numbers above zero.")
    hint = gettext_noop("Enter how many vouchers the campaign gives and what each is worth a month.")


class ReasonRequired(InvalidInput):
    code = "reason_required"
    message = gettext_noop("A reason is required for this decision.")
    hint = gettext_noop("Write why, in a sentence the family and the public can read.")


class ChildOutsideAges(InvalidInput):
    code = "voucher_child_age"
    message = gettext_noop("On %(day)s the child will be %(age)s: this campaign is for children aged %(low)s to %(high)s.")
    hint = gettext_noop("Look for a campaign for the child's age.")


class FrozenAfterAnnouncement(Conflict):
    code = "campaign_frozen"
    message = gettext_noop("The quota and the stages are frozen once the campaign is announced.")
    hint = gettext_noop("Record a change with a reason instead; it will be shown on the public page.")


# --- campaign rules ----------------------------------------------------------------------------------


def check_campaign_transition(current: str, target: str) -> None:
    """Refuse a campaign status change the table does not allow (rule: campaigns move only forward)."""
    if CampaignStatus(target) not in CAMPAIGN_TRANSITIONS[CampaignStatus(current)]:
        raise CampaignTransitionNotAllowed(current=current, target=target)


def check_voucher_transition(current: str, target: str) -> None:
    """Refuse a voucher status change the table does not allow (rule: issued -> placed -> active ...)."""
    if VoucherStatus(target) not in VOUCHER_TRANSITIONS[VoucherStatus(current)]:
        raise VoucherTransitionNotAllowed(current=current, target=target)


def earliest_first_stage(*, now: dt.datetime, lead_hours: int) -> dt.datetime:
    """The earliest a first stage may open if the campaign is announced ``now``."""
    return now + dt.timedelta(hours=lead_hours)


def check_announcement_lead(*, now: dt.datetime, first_stage_at: dt.datetime, lead_hours: int) -> None:
    """Refuse an announcement less than ``lead_hours`` before the first stage (rule: openings announced ahead)."""
    earliest = earliest_first_stage(now=now, lead_hours=lead_hours)
    if first_stage_at < earliest:
        raise AnnouncedTooLate(hours=lead_hours, earliest=earliest.isoformat(timespec="minutes"))


@dataclass(frozen=True)
class StagePlan:
    opens_at: dt.datetime
    share: int


def check_campaign_plan(
    *,
    quota: int,
    monthly_value: int,
    period_start: dt.date,
    period_end: dt.date,
    min_age: int,
    max_age: int,
    stages: Sequence[StagePlan],
    age_limits: tuple[int, int] = (4, 17),
) -> None:
    """Refuse a campaign whose quota, period, ages or stages do not fit (rule: shares sum to the quota)."""
    if quota < 1 or monthly_value < 1:
        raise InvalidQuota()
    if period_end <= period_start:
        raise InvalidPeriod()
    low, high = age_limits
    if not low <= min_age <= max_age <= high:
        raise InvalidAges(low=low, high=high)
    if not stages:
        raise NoStages()
    if any(stage.share < 1 for stage in stages):
        raise InvalidShare()
    if len({stage.opens_at for stage in stages}) != len(stages):
        raise DuplicateStageTime()
    if any(stage.opens_at.date() > period_end for stage in stages):
        raise StageAfterPeriod()
    total = sum(stage.share for stage in stages)
    if total != quota:
        raise SharesDoNotAddUp(total=total, quota=quota)


def clean_reason(reason: str | None) -> str:
    """A decision's reason, trimmed; refused when empty (rule: changes and cancellations need a reason)."""
    text = (reason or "").strip()
    if not text:
        raise ReasonRequired()
    return text[:MAX_REASON_CHARS]


# --- children ----------------------------------------------------------------------------------------


def check_child_age(*, birth_date: dt.date, period_start: dt.date, min_age: int, max_age: int) -> int:
    """The child's full years on the period's start date; refused outside the campaign's ages."""
    age = age_in_years(birth_date, period_start)
    if not min_age <= age <= max_age:
        raise ChildOutsideAges(day=period_start.isoformat(), age=age, low=min_age, high=max_age)
    return age


def holder_key(*, child_id: int, kind: str) -> str:
    """The rush pool holder for a child and a campaign kind: one claim per child per kind and opening."""
    return f"child:{child_id}:{kind}"


def section_accepts_age(*, age_min_months: int, age_max_months: int, years: int) -> bool:
    """Whether a section's age range takes a child who is ``years`` old at some point of that year of life."""
    return age_min_months <= years * 12 + 11 and age_max_months >= years * 12


def ownership_for_kind(kind: str) -> str:
    """Targeted vouchers pay state providers; universal vouchers pay private ones."""
    return "state" if CampaignKind(kind) is CampaignKind.TARGETED else "private"


def agreement_hash(text: str) -> str:
    """SHA-256 of the agreement's exact text: both sides accept this hash."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- who gets a voucher next --------------------------------------------------------------------------


@dataclass(frozen=True)
class Waiting:
    """A child waiting for a lottery draw: its application's public id and priority class (0 first)."""

    public_id: str
    priority_class: int
    pk: int


def lottery_order(
    waiting: Iterable[Waiting], *, number: Callable[[str], str], use_classes: bool
) -> list[Waiting]:
    """The lottery policy: by class when the campaign uses classes, then by lottery number (lower wins).

    ``number`` gives an application's lottery number from its public id (HMAC of the committed seed).
    """
    return sorted(waiting, key=lambda w: (w.priority_class if use_classes else 0, number(w.public_id), w.pk))
