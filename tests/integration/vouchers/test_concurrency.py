"""200 concurrent first-come claims for 50 vouchers on PostgreSQL, each thread on its own connection."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from kezek.domain.errors import DomainError
from kezek.people.models import LegalRepresentation
from kezek.rush.errors import Saturated
from kezek.vouchers.models import Voucher
from kezek.vouchers.services.issuing import voucher_claim
from tests.factories.accounts import make_parent
from tests.factories.people import make_person
from tests.factories.vouchers import admission_token, make_campaign, make_voucher_family, opening_time, stage

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
THREADS = 40


def claim_with_retries(campaign, when, user, child, key, token):
    """Claim as a browser would: retry while the system says it is busy."""
    for _ in range(100):
        try:
            result = voucher_claim(actor=user, campaign_id=campaign.pk, stage_number=1, child_iin=child.iin,
                                   idempotency_key=key, token=token, now=when)
            return "ok", result.voucher.pk
        except Saturated:
            continue
        except DomainError as exc:
            return exc.code, None
    return "gave_up", None


def test_200_concurrent_claims_for_50_vouchers():
    campaign = make_campaign(quota=50)
    when = opening_time(campaign)
    families = [make_voucher_family() for _ in range(160)]
    calls = [(user, child) for user, (child,) in families]
    # 40 second parents claim for children a first parent also claims for: a child never gets two vouchers.
    for _, (child,) in families[:40]:
        co_parent = make_parent(make_person(sex="M", phone=""))
        LegalRepresentation.objects.create(representative=co_parent.person, child=child)
        calls.append((co_parent, child))
    calls = [(user, child, f"key-{i}", admission_token(campaign, user)) for i, (user, child) in enumerate(calls)]
    barrier = threading.Barrier(THREADS)

    def worker(chunk):
        try:
            barrier.wait(timeout=60)
            return [claim_with_retries(campaign, when, *call) for call in chunk]
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = [r for chunk in pool.map(worker, [calls[i::THREADS] for i in range(THREADS)]) for r in chunk]

    vouchers = list(Voucher.objects.filter(campaign=campaign))
    assert len(vouchers) == 50
    assert stage(campaign).pool.taken == 50
    assert max(Counter(v.child_id for v in vouchers).values()) == 1
    acknowledged = [voucher_id for code, voucher_id in results if code == "ok"]
    assert sorted(acknowledged) == sorted(v.pk for v in vouchers)  # every success is backed by its voucher
    assert set(code for code, _ in results) <= {"ok", "sold_out", "holder_has_claim", "voucher_already_held"}
