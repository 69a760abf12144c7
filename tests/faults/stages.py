"""Steps of the fault tests that run inside Django, in a subprocess on the test's own database.

    python -m tests.faults.stages <name> '<json parameters>'

Each prints its result as JSON on the last line (``bench._common.python_subprocess`` reads it). The seeding
reuses the benchmarks' and the test factories' code, so the faults hit the same data the other suites use.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))

import _common as bench  # bench/_common.py: the gunicorn starter and helpers the benchmarks use


def seed_rush(*, count: int, vouchers: int, out: str, admission_rate: float = 1000.0) -> dict[str, Any]:
    """Signed-in parents with a school-age child each and a first_come voucher stage (bench/rush.py's seed)."""
    import rush

    args = argparse.Namespace(count=count, vouchers=vouchers, out=out, admission_rate=admission_rate, batch=10000,
                              district_code="astana-yesil")
    return rush.stage_seed(args)


def verify_rush(*, campaign_id: int, acked: str) -> dict[str, Any]:
    """Issued against the share, children with two vouchers, acknowledged claims without their voucher."""
    import rush

    return rush.stage_verify(argparse.Namespace(campaign_id=campaign_id, acked=acked))


def seed_outbox(*, count: int) -> dict[str, Any]:
    """``count`` SMS waiting in the outbox, as services queue them (rendered, one idempotency key each)."""
    bench.django_setup()
    from kezek.notifications.models import OutboxMessage

    OutboxMessage.objects.bulk_create([
        OutboxMessage(idempotency_key=f"fault:sms:{i:05d}", channel="sms", recipient=f"+7701{i:07d}", language="ru",
                      template="fault", body=f"Kezek fault suite message {i}")
        for i in range(count)
    ])
    return {"keys": list(OutboxMessage.objects.order_by("pk").values_list("idempotency_key", flat=True))}


def seed_expired_offers(*, offers: int) -> dict[str, Any]:
    """A round that ran ten days ago: ``offers`` one-place offers past their deadline and as many children next in line."""
    bench.django_setup()
    from django.utils import timezone

    from tests.factories.applications import make_application
    from tests.factories.placements import make_ran_round

    start = timezone.now() - dt.timedelta(days=60)
    applications = [make_application(registered_at=start + dt.timedelta(hours=i)) for i in range(offers * 2)]
    ran = make_ran_round(applications=applications, groups=[(None, 1)] * offers, now=timezone.now() - dt.timedelta(days=10))
    return {"round_id": ran.round.pk, "offer_ids": [o.pk for o in ran.offers]}


def seed_document_claim() -> dict[str, Any]:
    """A parent, signed in, with an application and a benefit right waiting for its document."""
    bench.django_setup()
    from django.utils import timezone

    from tests.factories.applications import make_application, make_claim

    application = make_application(district="astana-yesil")
    claim = make_claim(application, kind="large_family")
    [session] = bench.signed_in_sessions([application.applicant], now=timezone.now())
    return {"claim_id": claim.pk, "session": session}


STAGES = {f.__name__: f for f in (seed_rush, verify_rush, seed_outbox, seed_expired_offers, seed_document_claim)}


def main() -> None:
    name, params = sys.argv[1], json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    print(json.dumps(STAGES[name](**params), default=str))


if __name__ == "__main__":
    main()
