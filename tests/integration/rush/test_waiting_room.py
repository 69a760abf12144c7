"""The waiting room on both backends: fair order, idempotent joins, the admission schedule, the pass."""

from __future__ import annotations

import pytest

from kezek.core.redis import redis_client
from kezek.domain import waiting_room as rules
from kezek.rush.errors import Saturated
from kezek.rush.models import QueueEntry
from kezek.rush.services import waiting_room_join, waiting_room_status, waiting_room_token_check
from tests.factories.accounts import make_parent
from tests.factories.rush import OPENS_TS, make_opening

pytestmark = pytest.mark.django_db


def _ranks(opening, accounts, now: float) -> list[int]:
    """Each account's rank, read back from its admission time (rank r is admitted at opens + (r - 1) / rate)."""
    ranks = []
    for account in accounts:
        visitor = waiting_room_status(opening=opening, account=account, now=now).visitor
        ranks.append(round((visitor.admitted_at - OPENS_TS) * opening.admission_rate) + 1)
    return ranks


def test_early_arrivals_are_shuffled_at_the_opening_and_later_ones_follow_in_order(room):
    opening = make_opening(rate=10)
    early = [make_parent() for _ in range(40)]
    for i, account in enumerate(early):
        status = waiting_room_join(opening=opening, account=account, now=OPENS_TS - 600 + i)
        assert status.visitor.state is rules.VisitorState.WAITING_FOR_OPENING
        assert status.visitor.position is None  # no order exists before the draw
    late = [make_parent() for _ in range(5)]
    for i, account in enumerate(late):
        waiting_room_join(opening=opening, account=account, now=OPENS_TS + 1 + i * 0.01)

    early_ranks = _ranks(opening, early, now=OPENS_TS + 60)
    assert sorted(early_ranks) == list(range(1, 41))
    assert early_ranks != list(range(1, 41))  # 1 chance in 40! that a fair shuffle keeps the arrival order
    # The later arrivals: behind every early one, in their own arrival order.
    late_status = [waiting_room_status(opening=opening, account=a, now=OPENS_TS + 60).visitor for a in late]
    assert [s.admitted_at for s in late_status] == sorted(s.admitted_at for s in late_status)
    assert late_status[0].admitted_at == pytest.approx(OPENS_TS + 4.0)  # rank 41 at rate 10
    assert late_status[4].admitted_at == pytest.approx(OPENS_TS + 4.4)


def test_joining_again_keeps_the_place(room):
    opening = make_opening()
    account, other = make_parent(), make_parent()
    waiting_room_join(opening=opening, account=other, now=OPENS_TS - 30)
    first = waiting_room_join(opening=opening, account=account, now=OPENS_TS - 20)
    again = waiting_room_join(opening=opening, account=account, now=OPENS_TS - 10)
    assert first.in_room == again.in_room == 2
    after_opening = waiting_room_status(opening=opening, account=account, now=OPENS_TS + 0.05).visitor
    rejoined = waiting_room_join(opening=opening, account=account, now=OPENS_TS + 0.1)
    assert rejoined.visitor.admitted_at == after_opening.admitted_at
    assert rejoined.in_room == 2


def test_admission_schedule_position_wait_and_pass(room):
    opening = make_opening(rate=2, token_ttl=60)
    accounts = [make_parent() for _ in range(5)]
    for account in accounts:
        waiting_room_join(opening=opening, account=account, now=OPENS_TS - 5)
    ranks = _ranks(opening, accounts, now=OPENS_TS)
    fifth = accounts[ranks.index(5)]  # admitted at opens + 2 s

    before = waiting_room_status(opening=opening, account=fifth, now=OPENS_TS - 3.5)
    assert (before.state, before.visitor.wait_seconds, before.token) == ("waiting_for_opening", 4, "")
    queued = waiting_room_status(opening=opening, account=fifth, now=OPENS_TS + 0.5)
    assert (queued.state, queued.visitor.position, queued.visitor.wait_seconds, queued.token) == ("queued", 4, 2, "")
    admitted = waiting_room_status(opening=opening, account=fifth, now=OPENS_TS + 2)
    assert admitted.state == "admitted"
    claims = waiting_room_token_check(opening=opening, account=fifth, token=admitted.token, now=OPENS_TS + 61.9)
    assert claims == rules.TokenClaims(opening.pk, fifth.pk, int(OPENS_TS) + 2 + 60)
    expired = waiting_room_status(opening=opening, account=fifth, now=OPENS_TS + 62)
    assert (expired.state, expired.token) == ("expired", "")
    with pytest.raises(rules.TokenExpired):
        waiting_room_token_check(opening=opening, account=fifth, token=admitted.token, now=OPENS_TS + 62)


def test_later_arrivals_are_let_in_at_the_rate_after_a_quiet_spell(room):
    opening = make_opening(rate=4)
    first, second, third = make_parent(), make_parent(), make_parent()
    waiting_room_join(opening=opening, account=first, now=OPENS_TS + 100)
    waiting_room_join(opening=opening, account=second, now=OPENS_TS + 100)
    waiting_room_join(opening=opening, account=third, now=OPENS_TS + 100.1)
    now = OPENS_TS + 100.1
    statuses = [waiting_room_status(opening=opening, account=a, now=now).visitor for a in (first, second, third)]
    assert [s.admitted_at for s in statuses] == pytest.approx([OPENS_TS + 100, OPENS_TS + 100.25, OPENS_TS + 100.5])
    assert [s.state for s in statuses] == [rules.VisitorState.ADMITTED, rules.VisitorState.QUEUED, rules.VisitorState.QUEUED]
    assert [s.position for s in statuses] == [0, 1, 2]


def test_a_join_with_a_slow_clock_after_the_opening_cannot_jump_the_queue(room):
    # Once anyone has been placed at the opening, the shuffled set is closed, even to a process whose
    # clock still says "before the opening": its visitor queues at the end.
    opening = make_opening(rate=1)
    early = make_parent()
    waiting_room_join(opening=opening, account=early, now=OPENS_TS - 60)
    waiting_room_status(opening=opening, account=early, now=OPENS_TS + 0.5)
    slow = make_parent()
    waiting_room_join(opening=opening, account=slow, now=OPENS_TS - 0.5)
    visitor = waiting_room_status(opening=opening, account=slow, now=OPENS_TS + 0.5).visitor
    assert visitor.admitted_at == pytest.approx(OPENS_TS + 1)  # rank 2, not a random place among the early ones
    assert waiting_room_status(opening=opening, account=early, now=OPENS_TS + 0.5).visitor.admitted_at == OPENS_TS


def test_an_account_that_has_not_joined_has_no_place(room):
    opening = make_opening()
    waiting_room_join(opening=opening, account=make_parent(), now=OPENS_TS - 1)
    status = waiting_room_status(opening=opening, account=make_parent(), now=OPENS_TS + 1)
    assert (status.state, status.visitor, status.in_room, status.token) == ("not_joined", None, 1, "")


def test_the_state_lives_in_the_configured_backend(room, settings):
    opening = make_opening()
    account = make_parent()
    waiting_room_join(opening=opening, account=account, now=OPENS_TS - 1)
    in_database = QueueEntry.objects.filter(opening=opening, account=account).exists()
    assert in_database is (room == "database")
    if room == "redis":
        key = f"{settings.KEZEK_RUSH_REDIS_PREFIX}:{opening.pk}:pre"
        assert redis_client().zscore(key, account.pk) is not None
        assert redis_client().ttl(key) > 7 * 24 * 3600  # kept a week past the opening, then gone


def test_redis_out_of_reach_asks_to_retry_instead_of_failing(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    opening = make_opening()
    with pytest.raises(Saturated) as caught:
        waiting_room_join(opening=opening, account=make_parent(), now=OPENS_TS - 1)
    assert caught.value.kind == "unavailable"
