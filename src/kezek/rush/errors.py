"""Errors of openings and claims, each with a stable code, a message and what to do about it."""

from __future__ import annotations

from kezek.domain.errors import Conflict, InvalidInput, NotFound, RateLimited, gettext_noop


class OpeningNotFound(NotFound):
    code = "opening_not_found"
    message = gettext_noop("There is no such opening.")
    hint = gettext_noop("Check the link, or find the opening on the campaign's page.")


class SoldOut(Conflict):
    code = "sold_out"
    message = gettext_noop("All places are taken.")
    hint = gettext_noop("Places given back later go to the next visitors; check the page again.")


class HolderHasClaim(Conflict):
    code = "holder_has_claim"
    message = gettext_noop("A place in this opening has already been claimed for this person.")
    hint = gettext_noop("One person can hold one place per opening. See your cabinet for the place already claimed.")


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    message = gettext_noop("This Idempotency-Key was already used for a different request.")
    hint = gettext_noop("Send a new Idempotency-Key for a new request; reuse one only to retry the same request.")


class InvalidClaimRequest(InvalidInput):
    code = "invalid_claim_request"
    message = gettext_noop("The claim request is incomplete: %(field)s is missing or too long.")
    hint = gettext_noop("Send the request again from the page; a script must send an Idempotency-Key of at most 100 characters.")


class ClaimAlreadyReleased(Conflict):
    code = "claim_already_released"
    message = gettext_noop("This place has already been given back.")


class Saturated(RateLimited):
    """The system is busy (too many claims in progress, or a lock not granted in time): retry shortly."""

    code = "rush_busy"
    kind = "unavailable"  # 503 with Retry-After: the client did nothing wrong
    message = gettext_noop("So many people are claiming right now that we could not take your request.")
    hint = gettext_noop("Nothing was lost and nothing was taken. Try again in %(retry_after)s seconds.")
