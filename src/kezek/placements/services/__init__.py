"""Offers, referrals, contracts, enrolments and transfers: every write of kezek.placements.

Lock order everywhere: the application row first, then its offer, then the referral, then the group or
the round's place, so that a parent, an officer, a kindergarten and several workers never deadlock.
"""
