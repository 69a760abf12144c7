"""Background work of club vouchers (run by ``kezek worker``; several workers may run at once).

Every task locks the rows it changes and re-checks their state, so two workers never do the same work twice.
"""

from __future__ import annotations

from kezek.core.worker import periodic_task
from kezek.vouchers.services.campaigns import campaigns_advance
from kezek.vouchers.services.issuing import lottery_draw_due, vouchers_issue_due
from kezek.vouchers.services.placement import vouchers_expire_ended


@periodic_task(name="vouchers.advance_campaigns", every_seconds=30)
def advance_campaigns() -> int:
    """Announced campaigns open at their first stage and close after their period."""
    return campaigns_advance()


@periodic_task(name="vouchers.draw_lotteries", every_seconds=30)
def draw_lotteries() -> int:
    """Lottery campaigns are drawn with their committed seed once applications close."""
    return lottery_draw_due()


@periodic_task(name="vouchers.issue_to_waiting", every_seconds=15)
def issue_to_waiting() -> int:
    """Free vouchers of queue and lottery campaigns (new or given back) go to the next children waiting."""
    return vouchers_issue_due()


@periodic_task(name="vouchers.expire_ended", every_seconds=3600)
def expire_ended() -> int:
    """Vouchers of campaigns whose period has ended expire."""
    return vouchers_expire_ended()
