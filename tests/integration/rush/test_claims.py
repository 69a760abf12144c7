"""pool_claim and pool_release: the pass, idempotency, capacity, one place per holder, the caller's hook."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from kezek.audit.models import AuditEvent
from kezek.core.errors import domain_error_response
from kezek.domain import waiting_room as rules
from kezek.domain.errors import Conflict
from kezek.rush import errors
from kezek.rush.backends import backend
from kezek.rush.models import ClaimInFlight, Pool, PoolClaim
from kezek.rush.services import claims_in_flight_prune, opening_create, pool_claim, pool_release
from tests.factories.accounts import make_parent
from tests.factories.rush import OPENS, OPENS_TS, admission_token, make_opening

pytestmark = pytest.mark.django_db
NOW = OPENS_TS + 30


def token_for(opening, account, *, expires_at: float = NOW + 60) -> str:
    return admission_token(opening, account, expires_at=expires_at)


def claim(pool, account, *, holder: str | None = None, key: str = "key-1", token: str | None = None, **kwargs):
    token = token_for(pool.opening, account) if token is None else token
    return pool_claim(
        pool=pool, account=account, holder=holder or f"child:{account.pk}", idempotency_key=key, token=token,
        now=kwargs.pop("now", NOW), **kwargs,
    )


def assert_nothing_taken(pool) -> None:
    pool.refresh_from_db()
    assert pool.taken == 0
    assert not PoolClaim.objects.filter(pool=pool).exists()
    assert not AuditEvent.objects.filter(action="rush.pool.claim").exists()


@pytest.fixture
def pool(room):
    return make_opening(pools={"main": 2}).pools.get()


def test_a_claim_takes_one_place_runs_the_hook_and_is_audited(pool):
    account = make_parent()
    seen = []

    def on_claim(claim_row):
        seen.append(claim_row.pk)
        return {"voucher_id": 17}

    outcome = claim(pool, account, on_claim=on_claim, request_id="req-12345678")
    pool.refresh_from_db()
    assert pool.taken == 1
    assert outcome.created and outcome.result == {"voucher_id": 17}
    assert seen == [outcome.claim.pk]
    stored = PoolClaim.objects.get()
    assert (stored.holder, stored.account_id, stored.result) == (f"child:{account.pk}", account.pk, {"voucher_id": 17})
    event = AuditEvent.objects.get(action="rush.pool.claim")
    assert (event.object_id, event.request_id, event.after["result"]) == (str(stored.pk), "req-12345678", {"voucher_id": 17})


@pytest.mark.parametrize(
    ("make_token", "error"),
    [
        (lambda opening, account, other: "", rules.TokenMissing),
        (lambda opening, account, other: token_for(opening, account)[:-3] + "AAA", rules.TokenRefused),
        (lambda opening, account, other: token_for(opening, account, expires_at=NOW), rules.TokenExpired),
        (lambda opening, account, other: token_for(opening, other), rules.TokenNotYours),
        (lambda opening, account, other: token_for(make_opening(), account), rules.TokenNotYours),
    ],
    ids=["missing", "forged", "expired", "other-account", "other-opening"],
)
def test_a_claim_without_a_valid_pass_of_ones_own_is_refused(pool, make_token, error):
    account, other = make_parent(), make_parent()
    with pytest.raises(error) as caught:
        claim(pool, account, token=make_token(pool.opening, account, other) or "")
    assert caught.value.kind == "forbidden"
    assert domain_error_response(None, caught.value).status_code == 403
    assert_nothing_taken(pool)


def test_a_replayed_claim_answers_the_original_result_even_after_the_pass_expired(pool):
    account = make_parent()
    calls = []
    first = claim(pool, account, on_claim=lambda c: calls.append(c.pk) or {"voucher_id": 5})
    replay = claim(pool, account, on_claim=lambda c: calls.append(c.pk) or {"voucher_id": 6}, token="", now=NOW + 3600)
    assert (replay.created, replay.result, replay.claim.pk) == (False, {"voucher_id": 5}, first.claim.pk)
    assert calls == [first.claim.pk]
    pool.refresh_from_db()
    assert pool.taken == 1


def test_a_key_reused_for_another_pool_or_holder_is_refused(room):
    opening = make_opening(pools={"a": 2, "b": 2})
    pool_a, pool_b = opening.pools.order_by("key")
    account = make_parent()
    claim(pool_a, account, holder="child:1")
    with pytest.raises(errors.IdempotencyKeyReused):
        claim(pool_b, account, holder="child:1")
    with pytest.raises(errors.IdempotencyKeyReused):
        claim(pool_a, account, holder="child:2")


def test_one_place_per_holder_per_opening(room):
    opening = make_opening(pools={"a": 3, "b": 3})
    pool_a, pool_b = opening.pools.order_by("key")
    mother, father = make_parent(), make_parent()
    claim(pool_a, mother, holder="child:99", key="m-1")
    with pytest.raises(errors.HolderHasClaim) as caught:
        claim(pool_b, father, holder="child:99", key="f-1")
    assert caught.value.kind == "conflict"
    assert list(Pool.objects.filter(opening=opening).order_by("key").values_list("taken", flat=True)) == [1, 0]


def test_sold_out_is_a_conflict_and_takes_nothing(pool):
    claim(pool, make_parent())
    claim(pool, make_parent())
    late = make_parent()
    with pytest.raises(errors.SoldOut) as caught:
        claim(pool, late)
    assert (caught.value.code, caught.value.kind) == ("sold_out", "conflict")
    pool.refresh_from_db()
    assert pool.taken == 2
    assert not PoolClaim.objects.filter(account=late).exists()


def test_the_last_place_checked_inside_the_transaction(pool):
    # Another claim commits between the quick check and the transaction: the conditional UPDATE refuses.
    Pool.objects.filter(pk=pool.pk).update(taken=1)
    account = make_parent()

    def take_the_last_place_first(claim_row):
        Pool.objects.filter(pk=pool.pk).update(taken=F("taken") + 1)

    with pytest.raises(errors.SoldOut):
        claim(pool, account, on_claim=take_the_last_place_first)
    pool.refresh_from_db()
    assert pool.taken == 1  # the hook's write was undone with the claim
    assert not PoolClaim.objects.exists()


def test_a_failing_hook_undoes_everything(pool):
    def broken(claim_row):
        raise Conflict("The child already has a voucher.", code="child_has_voucher")

    with pytest.raises(Conflict):
        claim(pool, make_parent(), on_claim=broken)
    assert_nothing_taken(pool)


@pytest.mark.parametrize(("holder", "key"), [("", "k"), ("child:1", ""), ("child:1", "k" * 101), ("   ", "k")])
def test_bad_holder_or_key_is_refused_before_anything(pool, holder, key):
    with pytest.raises(errors.InvalidClaimRequest) as caught:
        pool_claim(pool=pool, account=make_parent(), holder=holder, idempotency_key=key, token="x", now=NOW)
    assert caught.value.kind == "invalid"
    assert_nothing_taken(pool)


def test_the_database_refuses_taking_more_than_the_capacity(pool):
    for taken in (3, -1):
        with pytest.raises(IntegrityError), transaction.atomic():
            Pool.objects.filter(pk=pool.pk).update(taken=taken)
    pool.refresh_from_db()
    assert pool.taken == 0


def test_the_database_refuses_two_active_claims_for_one_holder(pool):
    first = claim(pool, make_parent(), holder="child:7").claim
    with pytest.raises(IntegrityError), transaction.atomic():
        PoolClaim.objects.create(
            opening=pool.opening, pool=pool, holder="child:7", account=make_parent(), idempotency_key="raw"
        )
    assert PoolClaim.objects.get(holder="child:7") == first


def test_release_gives_the_place_back_and_frees_the_holder(pool):
    account = make_parent()
    first = claim(pool, account, holder="child:3").claim
    pool_release(claim=first, actor=account, reason="moved abroad")
    pool.refresh_from_db()
    assert pool.taken == 0
    first.refresh_from_db()
    assert (first.released_at is not None, first.release_reason) == (True, "moved abroad")
    assert AuditEvent.objects.filter(action="rush.pool.release", object_id=str(first.pk)).count() == 1
    with pytest.raises(errors.ClaimAlreadyReleased):
        pool_release(claim=first, actor=account, reason="again")
    again = claim(pool, account, holder="child:3", key="key-2")
    assert again.created
    pool.refresh_from_db()
    assert pool.taken == 1


def test_a_saturated_opening_answers_503_with_retry_after(room, settings):
    settings.KEZEK_RUSH_RETRY_AFTER_SECONDS = 3
    opening = make_opening(max_in_flight=1)
    pool = opening.pools.get()
    with backend().claim_slot(opening, NOW) as got:
        assert got
        with pytest.raises(errors.Saturated) as caught:
            claim(pool, make_parent())
    response = domain_error_response(None, caught.value)
    assert (response.status_code, response["Retry-After"]) == (503, "3")
    assert response["Content-Type"] == "application/problem+json"
    assert_nothing_taken(pool)
    # The slot is given back when the claim in flight ends.
    assert claim(pool, make_parent()).created


def test_a_claim_whose_process_died_stops_counting_after_a_minute(settings):
    settings.REDIS_URL = ""
    opening = make_opening(max_in_flight=1)
    stale = ClaimInFlight.objects.create(opening=opening, started_at=timezone.now() - dt.timedelta(minutes=2))
    assert claim(opening.pools.get(), make_parent()).created
    assert claims_in_flight_prune(older_than_seconds=60) == 1
    assert not ClaimInFlight.objects.filter(pk=stale.pk).exists()


def test_opening_create_publishes_its_pools_and_is_audited(room):
    officer = make_parent()
    opening = opening_create(
        actor=officer, slug="clubs-2030-stage-1", title="Clubs 2030, stage 1", opens_at=OPENS,
        pools={"targeted": 30, "universal": 70}, claim_url="/clubs/claim/", admission_rate=40,
    )
    assert sorted(opening.pools.values_list("key", "capacity", "taken")) == [("targeted", 30, 0), ("universal", 70, 0)]
    assert (opening.admission_rate, opening.token_ttl) == (40, settings.KEZEK_RUSH_TOKEN_TTL_SECONDS)
    event = AuditEvent.objects.get(action="rush.opening.create", object_id=str(opening.pk))
    assert event.after["pools"] == {"targeted": 30, "universal": 70}
