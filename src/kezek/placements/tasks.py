"""Background tasks of offers and referrals (run by ``kezek worker``; several workers may run at once)."""

from __future__ import annotations

from kezek.core.worker import periodic_task
from kezek.placements.services.offers import offers_expire_due, offers_pass_on_due
from kezek.placements.services.open_to_all import open_to_all_due
from kezek.placements.services.referrals import referrals_expire_due


@periodic_task(name="placements.expire_offers", every_seconds=15)
def expire_offers() -> int:
    """Offers past their deadline expire and their places go to the next child (within a minute of the deadline)."""
    return offers_expire_due()


@periodic_task(name="placements.pass_on_places", every_seconds=15)
def pass_on_places() -> int:
    """Places of ended offers that have not gone on yet go on now."""
    return offers_pass_on_due()


@periodic_task(name="placements.expire_referrals", every_seconds=60)
def expire_referrals() -> int:
    """Referrals whose contract was not signed in time expire and free their places."""
    return referrals_expire_due()


@periodic_task(name="placements.open_to_all", every_seconds=15)
def open_to_all() -> int:
    """Rounds that ran announce their open-to-all moment, size its pools at offers_close_at and open at open_to_all_at."""
    return open_to_all_due()
