# TEMPORARY profiling test of helper m: deleted after use.
import json, os, time
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from tests.integration.applications.test_api import URL, body, send, signed_in
from tests.factories.applications import make_applying_family
from tests.factories.vouchers import admission_token, make_campaign, make_voucher_family
from tests.integration.vouchers.test_pages import opened

pytestmark = pytest.mark.django_db
N = 40
SHOW = os.environ.get("PROF_SHOW") == "1"


def _measure(label, calls):
    calls[0]()
    with CaptureQueriesContext(connection) as q:
        calls[1]()
    print(f"\n{label}: SQL statements per request:", len(q.captured_queries))
    if SHOW:
        for x in q.captured_queries:
            print("   ", x["sql"][:160])
    t = time.process_time()
    for c in calls[2:]:
        c()
    print(f"{label}: CPU ms per request:", round((time.process_time() - t) / (len(calls) - 2) * 1000, 1))


def test_profile_submissions():
    families = [make_applying_family() for _ in range(N)]
    clients = [signed_in(f[0]) for f in families]
    for c in clients:  # load the middleware and record the session, as sign-in would have
        assert c.get("/api/v1/health").status_code == 200

    def call(i):
        def run():
            user, child, orgs = families[i]
            r = send(clients[i], "post", URL, body(child, orgs))
            assert r.status_code == 201, r.content
        return run
    _measure("submission", [call(i) for i in range(N)])


def test_profile_claims():
    campaign = opened(make_campaign(quota=N + 5))
    fams = [make_voucher_family() for _ in range(N)]
    clients = [signed_in(u) for u, _ in fams]
    for c in clients:
        assert c.get("/api/v1/health").status_code == 200
    url = f"/api/v1/vouchers/campaigns/{campaign.pk}/stages/1/claim"
    tokens = [admission_token(campaign, u) for u, _ in fams]

    def call(i):
        def run():
            user, (child,) = fams[i]
            r = clients[i].post(url, json.dumps({"child_iin": child.iin}), content_type="application/json",
                                headers={"Idempotency-Key": f"k-{i}", "X-Rush-Token": tokens[i]})
            assert r.status_code == 201, r.content
        return run
    _measure("claim", [call(i) for i in range(N)])
