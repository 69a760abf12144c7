"""The API's authorisation matrix: every operation of /api/v1/ against every role, with the exact answer intended.

Roles (columns, in this order): anonymous, parent, other_parent, provider_staff (org), other_provider_staff
(other_org, district B), officer (district A), other_officer (district B), admin; the world is ``world.py``.
Each cell is the exact status: 2xx is allowed; 401 unauthenticated; 403 forbidden (role or scope); 404 not found
(the right answer for another person's record, so that ids disclose nothing); any other 4xx means the
authorisation check passed and a business rule answered (the row's note says which).

Every denial (401/403/404) must leave the database as it was (no row changed, no audit event, no message) and
no answer to a stranger may carry the parent's children's IINs or phones. The world is built once per module;
each test runs in its own transaction that is rolled back, so a write in one test never reaches another.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tests.integration.security.world import PDF, ROLES, World, build_world, rolled_back_world

OTHER_PARENT = ROLES.index("other_parent")
PUBLIC = (200,) * 8


@dataclass(frozen=True)
class Op:
    method: str
    path: str  # as in the OpenAPI schema
    expect: tuple[Any, ...]  # one status per role, in ROLES order; (status, problem code) where the code matters
    url: str = ""  # template filled from world.ids; the path itself when empty
    body: Callable[[World], dict[str, Any]] | None = None
    multipart: bool = False
    headers: tuple[tuple[str, str], ...] = ()
    note: str = ""

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


def cell_of(cell: Any) -> tuple[int, str | None]:
    """(status, problem code or None) of a matrix cell."""
    return cell if isinstance(cell, tuple) else (cell, None)


def status_of(cell: Any) -> int:
    return cell_of(cell)[0]


def signed_in(*expect: Any) -> tuple[Any, ...]:
    """401 for the anonymous visitor, then the seven signed-in roles."""
    assert len(expect) == 7
    return (401, *expect)


def last_month(world: World) -> str:
    return f"{(timezone.localdate().replace(day=1) - dt.timedelta(days=1)):%Y-%m}"


def pdf_upload(name: str = "file") -> Callable[[World], dict[str, Any]]:
    return lambda w: {name: SimpleUploadedFile("scan.pdf", PDF, content_type="application/pdf")}


V1 = "/api/v1"
IDEMPOTENT = (("HTTP_IDEMPOTENCY_KEY", "security-matrix-1"),)

OPS: list[Op] = [
    # --- operations and sign-in: public ---------------------------------------------------------------
    Op("get", f"{V1}/health", PUBLIC),
    Op("get", f"{V1}/auth/csrf", PUBLIC),
    Op("post", f"{V1}/auth/otp/request", (202,) * 8, body=lambda w: {"phone": "+77019990000"},
       note="public; the same answer whether or not the phone is registered"),
    Op("post", f"{V1}/auth/otp/verify", (422,) * 8, body=lambda w: {"phone": "+77019990000", "code": "000000"},
       note="public; 422 otp_invalid: no code was sent"),
    Op("post", f"{V1}/auth/staff/signin", (422,) * 8, body=lambda w: {"username": "nobody", "password": "wrong"},
       note="public; 422: wrong login or password"),
    Op("post", f"{V1}/auth/signout", signed_in(204, 204, 204, 204, 204, 204, 204)),
    Op("get", f"{V1}/auth/me", signed_in(200, 200, 200, 200, 200, 200, 200)),
    Op("get", f"{V1}/auth/sessions", signed_in(200, 200, 200, 200, 200, 200, 200)),
    Op("delete", f"{V1}/auth/sessions/{{session_id}}", signed_in(204, 404, 404, 404, 404, 404, 204),
       url=f"{V1}/auth/sessions/{{user_session}}", note="only the account holder, or an administrator"),
    # --- people -----------------------------------------------------------------------------------------
    Op("get", f"{V1}/people/me/children", signed_in(200, 200, *[(403, "not_a_registry_person")] * 5),
       note="each parent's own registry children; staff accounts are no registry person"),
    Op("get", f"{V1}/me/data-export", signed_in(200, 200, 403, 403, 403, 403, 403),
       note="each parent's own data (the other parent's export must not name the parent's children)"),
    # --- kindergarten queue -----------------------------------------------------------------------------
    Op("post", f"{V1}/applications/", signed_in(409, (403, "not_legal_representative"), 403, 403, 403, 403, 403),
       body=lambda w: {
           "child_iin": w.child.iin, "district_id": w.ids["district"], "desired_start_date": w.application.desired_start_date.isoformat(),
           "language": "kk", "preferences": [w.ids["organisation"]], "phones": ["+77011230001", "+77011230002"],
           "notify_channel": "sms", "notify_language": "kk"},
       note="parent: 409, the child already has an open application; the other parent may not apply for a child not theirs"),
    Op("get", f"{V1}/applications/", signed_in(200, 200, 200, 200, 200, 200, 200), note="each account's own"),
    Op("get", f"{V1}/applications/children", signed_in(200, 200, *[(403, "not_a_registry_person")] * 5),
       note="each parent's own"),
    Op("get", f"{V1}/applications/kindergartens", signed_in(200, 200, 200, 200, 200, 200, 200),
       url=f"{V1}/applications/kindergartens?district_id={{district}}", note="the public list of a district's kindergartens"),
    Op("get", f"{V1}/applications/{{application_id}}", signed_in(200, 404, 404, 404, 200, 404, 200),
       url=f"{V1}/applications/{{application}}", note="the applicant and the officers of the application's district"),
    Op("patch", f"{V1}/applications/{{application_id}}/contacts", signed_in(200, 404, 404, 404, 404, 404, 404),
       url=f"{V1}/applications/{{application}}/contacts",
       body=lambda w: {"phones": ["+77011230003", "+77011230004"], "notify_channel": "sms", "notify_language": "kk"}),
    Op("put", f"{V1}/applications/{{application_id}}/preferences", signed_in(200, 404, 404, 404, 404, 404, 404),
       url=f"{V1}/applications/{{application}}/preferences", body=lambda w: {"preferences": [w.ids["organisation"]]}),
    Op("post", f"{V1}/applications/{{application_id}}/withdraw", signed_in(200, 404, 404, 404, 404, 404, 404),
       url=f"{V1}/applications/{{application}}/withdraw", body=lambda w: {"reason": "moved"}),
    Op("post", f"{V1}/applications/{{application_id}}/claims", signed_in(201, 404, 404, 404, 404, 404, 404),
       url=f"{V1}/applications/{{application}}/claims", body=lambda w: {"kind": "military"}),
    Op("post", f"{V1}/applications/claims/{{claim_id}}/document", signed_in(200, 404, 404, 404, 404, 404, 404),
       url=f"{V1}/applications/claims/{{claim}}/document", body=pdf_upload(), multipart=True),
    Op("post", f"{V1}/applications/claims/{{claim_id}}/verify", signed_in(403, 403, 403, 403, 200, 403, 200),
       url=f"{V1}/applications/claims/{{claim}}/verify", body=lambda w: {"reason": "document checked"}),
    Op("post", f"{V1}/applications/claims/{{claim_id}}/reject", signed_in(403, 403, 403, 403, 200, 403, 200),
       url=f"{V1}/applications/claims/{{claim}}/reject", body=lambda w: {"reason": "not readable"}),
    Op("get", f"{V1}/applications/claims/waiting", signed_in(403, 403, 403, 403, 200, 200, 200),
       note="officers see their own district's documents (the other officer gets an empty list)"),
    Op("get", f"{V1}/applications/{{application_id}}/position", signed_in(200, 404, 404, 404, 200, 404, 200),
       url=f"{V1}/applications/{{application}}/position"),
    Op("get", f"{V1}/applications/{{application_id}}/history", signed_in(200, 404, 404, 404, 200, 404, 200),
       url=f"{V1}/applications/{{application}}/history"),
    # --- offers and referrals ---------------------------------------------------------------------------
    Op("get", f"{V1}/offers", signed_in(200, 200, 200, 200, 200, 200, 200), note="each account's own"),
    Op("post", f"{V1}/offers/{{offer_id}}/accept", signed_in(200, *[(404, "offer_not_found")] * 6),
       url=f"{V1}/offers/{{offer}}/accept", note="only the applicant"),
    Op("post", f"{V1}/offers/{{offer_id}}/decline", signed_in(200, *[(404, "offer_not_found")] * 6),
       url=f"{V1}/offers/{{offer}}/decline", note="only the applicant"),
    Op("get", f"{V1}/referrals/check/{{token}}", PUBLIC, url=f"{V1}/referrals/check/{{referral_token}}",
       note="public on purpose: a kindergarten checks a referral by its QR code (no names in the answer)"),
    # --- rounds, audit: public open data ------------------------------------------------------------------
    Op("get", f"{V1}/rounds/", PUBLIC),
    Op("get", f"{V1}/rounds/{{code}}", PUBLIC, url=f"{V1}/rounds/{{round_code}}"),
    Op("get", f"{V1}/rounds/{{code}}/input", PUBLIC, url=f"{V1}/rounds/{{round_code}}/input",
       note="public on purpose: the published allocation input (public ids, no names)"),
    Op("get", f"{V1}/rounds/{{code}}/result", PUBLIC, url=f"{V1}/rounds/{{round_code}}/result"),
    Op("get", f"{V1}/audit/checkpoints", PUBLIC),
    # --- waiting rooms ------------------------------------------------------------------------------------
    Op("get", f"{V1}/rush/openings/{{slug}}", PUBLIC, url=f"{V1}/rush/openings/{{opening}}"),
    Op("post", f"{V1}/rush/openings/{{slug}}/join", signed_in(200, 200, 200, 200, 200, 200, 200),
       url=f"{V1}/rush/openings/{{opening}}/join", note="any signed-in account may queue; claims check the role"),
    Op("get", f"{V1}/rush/openings/{{slug}}/status", signed_in(200, 200, 200, 200, 200, 200, 200),
       url=f"{V1}/rush/openings/{{opening}}/status"),
    # --- club vouchers ------------------------------------------------------------------------------------
    Op("get", f"{V1}/vouchers/sections", PUBLIC),
    Op("get", f"{V1}/vouchers/campaigns", PUBLIC),
    Op("get", f"{V1}/vouchers/campaigns/{{campaign_id}}", PUBLIC, url=f"{V1}/vouchers/campaigns/{{campaign}}"),
    Op("post", f"{V1}/vouchers/campaigns", signed_in(403, 403, 403, 403, 201, 403, 201),
       body=lambda w: {
           "title": "Matrix campaign", "region_id": w.ids["region"], "district_id": w.ids["district"],
           "period_start": f"{timezone.localdate().year + 1}-09-01", "period_end": f"{timezone.localdate().year + 2}-05-31",
           "kind": "universal", "policy": "first_come", "quota": 5, "monthly_value": 20000, "min_age": 4, "max_age": 17,
           "stages": [{"opens_at": (timezone.now() + dt.timedelta(days=20)).isoformat(), "share": 5}]},
       note="officers of the campaign's district"),
    Op("post", f"{V1}/vouchers/campaigns/{{campaign_id}}/stages/{{stage_number}}/claim",
       signed_in(*[(409, "campaign_wrong_policy")] * 2, *[(403, "not_a_registry_parent")] * 5),
       url=f"{V1}/vouchers/campaigns/{{campaign}}/stages/1/claim",
       body=lambda w: {"child_iin": w.voucher_child.iin}, headers=IDEMPOTENT,
       note="only parents claim, whatever the campaign; a queue campaign then refuses every claim (its policy is "
            "public); the first_come claim's child checks are tested in tests/integration/vouchers"),
    Op("post", f"{V1}/vouchers/campaigns/{{campaign_id}}/apply",
       signed_in(409, (403, "not_legal_representative"), 403, 403, 403, 403, 403),
       url=f"{V1}/vouchers/campaigns/{{campaign}}/apply", body=lambda w: {"child_iin": w.voucher_child.iin},
       headers=IDEMPOTENT, note="parent: 409, the child already holds a voucher; not the other parent's child"),
    Op("get", f"{V1}/vouchers/mine", signed_in(200, 200, 200, 200, 200, 200, 200), note="each account's own"),
    Op("get", f"{V1}/vouchers/applications", signed_in(200, 200, 200, 200, 200, 200, 200), note="each account's own"),
    Op("post", f"{V1}/vouchers/{{voucher_id}}/place", signed_in(409, 404, 404, 404, 404, 404, 404),
       url=f"{V1}/vouchers/{{voucher}}/place", body=lambda w: {"section_id": w.ids["section"], "accept_agreement": True},
       note="holder only; 409: already in this section"),
    Op("post", f"{V1}/vouchers/{{voucher_id}}/release", signed_in(200, 404, 404, 404, 404, 404, 404),
       url=f"{V1}/vouchers/{{voucher}}/release", body=lambda w: {"reason": "moving"}),
    Op("post", f"{V1}/vouchers/{{voucher_id}}/accept", signed_in(403, 403, 403, 403, 200, 403, 200),
       url=f"{V1}/vouchers/{{voucher}}/accept",
       note="the section's provider (club_staff, tested below) and the district's officers"),
    Op("post", f"{V1}/vouchers/{{voucher_id}}/decline", signed_in(403, 403, 403, 403, 200, 403, 200),
       url=f"{V1}/vouchers/{{voucher}}/decline", body=lambda w: {"reason": "no place left"}),
    Op("post", f"{V1}/vouchers/{{voucher_id}}/cancel", signed_in(403, 403, 403, 403, 200, 403, 200),
       url=f"{V1}/vouchers/{{voucher}}/cancel", body=lambda w: {"reason": "duplicate record"}),
    Op("post", f"{V1}/vouchers/campaigns/{{campaign_id}}/announce", signed_in(403, 403, 403, 403, 200, 403, 200),
       url=f"{V1}/vouchers/campaigns/{{draft_campaign}}/announce"),
    Op("post", f"{V1}/vouchers/campaigns/{{campaign_id}}/changes", signed_in(403, 403, 403, 403, 200, 403, 200),
       url=f"{V1}/vouchers/campaigns/{{campaign}}/changes", body=lambda w: {"reason": "typo", "title": "Matrix title"}),
    # --- appeals and incidents ------------------------------------------------------------------------------
    Op("post", f"{V1}/appeals", signed_in(201, (422, "appeal_subject_not_found"), 422, 422, 403, 403, 403),
       body=lambda w: {"kind": "lost_place", "subject_kind": "application", "subject_id": str(w.ids["application"]),
                       "text": "My place was lost."}, multipart=True,
       note="the filer's own record (another's is answered as a number that does not exist); providers may file only "
            "about payment statements (422); officers decide and administrators remedy, neither files"),
    Op("get", f"{V1}/appeals/mine", signed_in(200, 200, 200, 200, 200, 200, 200), note="each account's own"),
    Op("get", f"{V1}/appeals/officer", signed_in(403, 403, 403, 403, 200, 200, 200),
       note="officers see their own district's appeals"),
    Op("get", f"{V1}/appeals/incidents", signed_in(403, 403, 403, 403, 403, 403, 200)),
    Op("post", f"{V1}/appeals/incidents", signed_in(403, 403, 403, 403, 403, 403, 201),
       body=lambda w: {"starts_at": (timezone.now() - dt.timedelta(hours=5)).isoformat(),
                       "ends_at": (timezone.now() - dt.timedelta(hours=4)).isoformat(), "description": "Matrix outage"}),
    Op("get", f"{V1}/appeals/incidents/{{incident_id}}", signed_in(403, 403, 403, 403, 403, 403, 200),
       url=f"{V1}/appeals/incidents/{{incident}}"),
    Op("post", f"{V1}/appeals/incidents/{{incident_id}}/restore", signed_in(403, 403, 403, 403, 403, 403, 200),
       url=f"{V1}/appeals/incidents/{{incident}}/restore"),
    Op("get", f"{V1}/appeals/{{appeal_id}}", signed_in(200, 404, 404, 404, 200, 404, 200), url=f"{V1}/appeals/{{appeal}}"),
    Op("post", f"{V1}/appeals/{{appeal_id}}/documents", signed_in(201, 404, 404, 404, 404, 404, 404),
       url=f"{V1}/appeals/{{appeal}}/documents", body=pdf_upload(), multipart=True, note="only the filer"),
    Op("post", f"{V1}/appeals/{{appeal_id}}/decision", signed_in(403, 403, 403, 403, 200, (403, "out_of_scope"), 200),
       url=f"{V1}/appeals/{{appeal}}/decision", body=lambda w: {"upheld": False, "reason": "The registry shows no right."}),
    # --- attendance -------------------------------------------------------------------------------------------
    Op("get", f"{V1}/attendance/groups/{{group_id}}/roster", signed_in(404, 404, 200, 404, 200, 404, 200),
       url=f"{V1}/attendance/groups/{{group}}/roster", note="the group's provider and the district's officers"),
    Op("post", f"{V1}/attendance/groups/{{group_id}}/sessions/today",
       signed_in(404, 404, 200, 404, (403, "role_required"), 404, 200),
       url=f"{V1}/attendance/groups/{{group}}/sessions/today", note="the provider's staff (today's session exists)"),
    Op("post", f"{V1}/attendance/marks", signed_in(403, 403, 200, (403, "out_of_scope"), 403, 403, 200),
       body=lambda w: {"marks": [{"client_mark_id": "matrix-1", "session_id": w.ids["session"],
                                  "child_id": w.ids["enrolled_child"], "status": "absent"}]},
       note="the group's provider's staff"),
    Op("post", f"{V1}/attendance/checkin",
       signed_in((403, "checkin_code_invalid"), (403, "checkin_code_invalid"), 403, 403, 403, 403, 403),
       body=lambda w: {"session_id": w.ids["session"], "window": 0, "code": "000000"},
       note="parents pass the role check and meet the code check (a wrong code here)"),
    Op("get", f"{V1}/attendance/sheets", signed_in(200, 200, 200, 200, 200, 200, 200), note="each parent's own"),
    Op("get", f"{V1}/attendance/sheets/{{sheet_id}}", signed_in(200, 404, 404, 404, 404, 404, 404),
       url=f"{V1}/attendance/sheets/{{sheet}}"),
    Op("post", f"{V1}/attendance/sheets/{{sheet_id}}/confirm", signed_in(200, 404, 403, 403, 403, 403, 404),
       url=f"{V1}/attendance/sheets/{{sheet}}/confirm"),
    Op("post", f"{V1}/attendance/sheets/{{sheet_id}}/contest", signed_in(201, 404, 403, 403, 403, 403, 404),
       url=f"{V1}/attendance/sheets/{{sheet}}/contest", body=lambda w: {"session_ids": [w.ids["session"]], "reason": "ill"}),
    Op("post", f"{V1}/attendance/contests/{{contest_id}}/resolve", signed_in(403, 403, 200, 403, 200, 403, 200),
       url=f"{V1}/attendance/contests/{{contest}}/resolve", body=lambda w: {"upheld": True, "reason": "agreed"}),
    # --- payments -------------------------------------------------------------------------------------------
    Op("get", f"{V1}/payments/statements", signed_in(403, 403, 200, 200, 200, 200, 200),
       note="staff see their organisation's, officers their district's"),
    Op("post", f"{V1}/payments/statements", signed_in(404, 404, 403, 404, 201, 404, 201),
       body=lambda w: {"organisation_id": w.ids["organisation"], "month": last_month(w)}),
    Op("get", f"{V1}/payments/statements/{{statement_id}}", signed_in(403, 403, 200, (403, "out_of_scope"), 200, (403, "out_of_scope"), 200),
       url=f"{V1}/payments/statements/{{statement}}"),
    Op("get", f"{V1}/payments/statements/{{statement_id}}/csv", signed_in(403, 403, 200, (403, "out_of_scope"), 200, (403, "out_of_scope"), 200),
       url=f"{V1}/payments/statements/{{statement}}/csv"),
    Op("post", f"{V1}/payments/statements/{{statement_id}}/regenerate", signed_in(403, 403, 403, (403, "out_of_scope"), 200, (403, "out_of_scope"), 200),
       url=f"{V1}/payments/statements/{{statement}}/regenerate"),
    Op("post", f"{V1}/payments/statements/{{statement_id}}/approve", signed_in(403, 403, 403, (403, "out_of_scope"), 200, (403, "out_of_scope"), 200),
       url=f"{V1}/payments/statements/{{statement}}/approve"),
    Op("post", f"{V1}/payments/statements/{{statement_id}}/adjustments", signed_in(403, 403, 403, (403, "out_of_scope"), 409, (403, "out_of_scope"), 409),
       url=f"{V1}/payments/statements/{{statement}}/adjustments", body=lambda w: {"amount": "100.00", "reason": "correction"},
       note="officers: 409, adjustments go on approved statements only"),
]


# --- the shared world and the request -------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """One world for the module, inside a transaction rolled back at the end; each test nests its own savepoint."""
    media = tmp_path_factory.mktemp("security-media")
    with rolled_back_world(build_world, media=media, django_db_blocker=django_db_blocker) as world:
        yield world


@pytest.fixture
def w(shared_world, db, settings, tmp_path) -> World:
    settings.MEDIA_ROOT = str(tmp_path / "private")
    return shared_world


def client_for(world: World, role: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    user = world.users[role]
    if user is not None:
        from kezek.accounts.models import UserSession

        client.force_login(user)
        # Recorded now, as a sign-in would, so that the request under test changes nothing by recording it.
        UserSession.objects.create(user=user, session_key=client.session.session_key)
    return client


def call(client: Client, op: Op, world: World, url: str | None = None):
    url = url or world.url(op.url or op.path)
    headers = dict(op.headers)
    body = op.body(world) if op.body else None
    if op.multipart:
        return getattr(client, op.method)(url, data=body or {}, **headers)
    if op.method == "get":
        return client.get(url, **headers)
    return getattr(client, op.method)(url, data=json.dumps(body if body is not None else {}),
                                      content_type="application/json", **headers)


def secrets_of_parent(world: World) -> list[str]:
    """Strings only the parent, their district's officers, their providers and administrators may ever see."""
    kids = [world.child, world.enrolled_child, world.voucher_child, world.referral_child]
    phones = [p for a in (world.application, world.enrolled_application) for p in a.phones]
    return [k.iin for k in kids] + phones + [world.users["parent"].person.phone]


STRANGERS = ("anonymous", "other_parent", "other_provider_staff", "other_officer")


def fingerprint() -> dict[str, Any]:
    """Every row of every table the API can change (sessions and rate-limit counters aside)."""
    from django.apps import apps

    skip = {"accounts.usersession", "sessions.session", "core.ratecounter", "contenttypes.contenttype", "auth.permission"}
    return {
        model._meta.label_lower: list(model.objects.order_by("pk").values())
        for model in apps.get_models() if model._meta.label_lower not in skip
    }


def world_session_state(world: World):
    from kezek.accounts.models import UserSession

    return UserSession.objects.filter(pk=world.ids["user_session"]).values_list("ended_at", flat=True).get()


# --- the matrix ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("op", OPS, ids=lambda op: op.key)
def test_access_is_exactly_as_intended(w: World, op: Op, role: str):
    expected, code = cell_of(op.expect[ROLES.index(role)])
    denial = expected in (401, 403, 404)
    client = client_for(w, role)
    before = (fingerprint(), world_session_state(w)) if denial else None
    response = call(client, op, w)
    assert response.status_code == expected, f"{op.key} as {role}: {response.status_code} {response.content[:300]!r}"
    if role in STRANGERS or denial:
        body = b"".join(response.streaming_content) if response.streaming else response.content
        leaked = [s for s in secrets_of_parent(w) if s.encode() in body]
        assert not leaked, f"{op.key} as {role} shows the parent's data: {leaked}"
    if denial:
        assert response["Content-Type"].startswith("application/problem+json")
        assert code is None or response.json()["code"] == code
        after = (fingerprint(), world_session_state(w))
        changed = sorted(label for label in before[0] if before[0][label] != after[0][label])
        assert (changed, after[1]) == ([], before[1]), f"{op.key} as {role} changed data although refused"


def test_every_operation_is_classified():
    """A new endpoint fails here until it has a row in OPS (and so a decision for every role)."""
    from config.api import api

    schema = api.get_openapi_schema()
    in_schema = {f"{method} {path}" for path, ops in schema["paths"].items() for method in ops}
    in_matrix = {op.key for op in OPS}
    assert in_schema - in_matrix == set(), "classify these operations in OPS"
    assert in_matrix - in_schema == set(), "these OPS rows name no operation"
    assert all(len(op.expect) == len(ROLES) for op in OPS)


# --- one parent never reaches another's records, by any id ---------------------------------------------------

PARENT_OWNED = (
    "application", "enrolled_application", "claim", "offer", "accepted_offer", "referral", "voucher", "appeal",
    "appeal_document", "sheet", "contest", "enrolment", "dispute", "user_session", "mark", "past_mark", "session",
    "child", "enrolled_child", "voucher_child", "referral_child",
)
ID_PARAM = re.compile(r"\{(\w+_id)\}")
ID_OPS = [op for op in OPS if ID_PARAM.search(op.path) and not 200 <= status_of(op.expect[OTHER_PARENT]) < 300]


@pytest.mark.parametrize("op", ID_OPS, ids=lambda op: op.key)
def test_other_parent_reaches_nothing_by_any_id(w: World, op: Op):
    """Every id of the parent's records (of any kind) in every id slot: never 2xx, never the parent's data."""
    from kezek.accounts.models import UserSession

    client = client_for(w, "other_parent")
    own_sessions = set(UserSession.objects.filter(user=w.users["other_parent"]).values_list("pk", flat=True))
    values = sorted({w.ids[name] for name in PARENT_OWNED} - own_sessions)
    before = (fingerprint(), world_session_state(w))
    for value in values:
        url = ID_PARAM.sub(str(value), op.path).replace("{stage_number}", "1")
        response = call(client, op, w, url=url)
        assert not 200 <= response.status_code < 300, f"{op.method} {url} as the other parent: {response.status_code}"
        assert not [s for s in secrets_of_parent(w) if s.encode() in response.content], f"{op.method} {url} shows data"
    after = (fingerprint(), world_session_state(w))
    assert [label for label in before[0] if before[0][label] != after[0][label]] == [] and after[1] == before[1]


@pytest.mark.parametrize("subject_kind", ["application", "offer", "voucher"])
def test_other_parent_cannot_appeal_about_the_parents_records(w: World, subject_kind: str):
    client = client_for(w, "other_parent")
    kind = {"application": "lost_place", "offer": "offer_expired_while_down", "voucher": "lost_place"}[subject_kind]
    for name in PARENT_OWNED:
        response = client.post(f"{V1}/appeals", data={"kind": kind, "subject_kind": subject_kind,
                                                      "subject_id": str(w.ids[name]), "text": "Mine?"})
        assert response.status_code in (403, 404, 422), (subject_kind, name, response.status_code)
    assert not w.objects["appeal"].__class__.objects.filter(filer=w.users["other_parent"]).exists()


def test_other_parent_cannot_check_in_the_parents_child(w: World):
    from kezek.attendance.models import CheckIn

    response = client_for(w, "other_parent").post(
        f"{V1}/attendance/checkin", data=json.dumps({"session_id": w.ids["session"], "window": 0, "code": "000000",
                                                     "child_ids": [w.ids["enrolled_child"]]}),
        content_type="application/json")
    assert response.status_code in (403, 404, 422)
    assert not CheckIn.objects.exists()


# --- the club's own staff (the section's provider) ------------------------------------------------------------


@pytest.mark.parametrize("action, body", [("accept", None), ("decline", {"reason": "no place left"})])
def test_the_sections_provider_answers_the_placement(w: World, action: str, body):
    response = client_for(w, "club_staff").post(f"{V1}/vouchers/{w.ids['voucher']}/{action}",
                                                data=json.dumps(body or {}), content_type="application/json")
    assert response.status_code == 200, response.content[:300]
    w.voucher.refresh_from_db()
    assert w.voucher.status == ("active" if action == "accept" else "issued")


def test_club_staff_reach_nothing_of_the_kindergarten(w: World):
    client = client_for(w, "club_staff")
    assert client.get(f"{V1}/attendance/groups/{w.ids['group']}/roster").status_code == 404
    assert client.get(f"{V1}/payments/statements/{w.ids['statement']}").status_code == 403


# --- lists and filters stay in the caller's scope -------------------------------------------------------------


@pytest.mark.parametrize("url, record", [
    (f"{V1}/applications/claims/waiting?district_id={{district}}", "claim"),
    (f"{V1}/applications/claims/waiting", "claim"),
    (f"{V1}/appeals/officer?status=", "appeal"),
    (f"{V1}/appeals/officer", "appeal"),
    (f"{V1}/payments/statements", "statement"),
    (f"{V1}/payments/statements?late=true", "statement"),
    (f"{V1}/payments/statements?month={{last_month}}", "statement"),
    (f"{V1}/offers", "offer"),
    (f"{V1}/vouchers/mine", "voucher"),
    (f"{V1}/attendance/sheets", "sheet"),
    (f"{V1}/appeals/mine", "appeal"),
    (f"{V1}/applications/", "application"),
])
def test_lists_never_show_another_scopes_records(w: World, url: str, record: str):
    """The other district's officer, the other provider's staff and the other parent never list the world's records."""
    url = url.format(**w.ids, last_month=last_month(w))
    for role in ("other_parent", "other_provider_staff", "other_officer"):
        response = client_for(w, role).get(url)
        assert response.status_code in (200, 403), (role, url, response.status_code)
        if response.status_code == 200:
            assert w.ids[record] not in [item["id"] for item in response.json()], (role, url)
        assert not [s for s in secrets_of_parent(w) if s.encode() in response.content], (role, url)


def test_the_list_filters_show_the_record_to_its_scope(w: World):
    """The same lists do show the records to the roles whose scope they are in (so the test above can fail)."""
    officer, staff, parent = (client_for(w, role) for role in ("officer", "provider_staff", "parent"))
    assert w.ids["claim"] in [c["id"] for c in officer.get(f"{V1}/applications/claims/waiting").json()]
    assert w.ids["appeal"] in [a["id"] for a in officer.get(f"{V1}/appeals/officer").json()]
    assert w.ids["statement"] in [s["id"] for s in staff.get(f"{V1}/payments/statements").json()]
    assert w.ids["offer"] in [o["id"] for o in parent.get(f"{V1}/offers").json()]
    assert w.ids["voucher"] in [v["id"] for v in parent.get(f"{V1}/vouchers/mine").json()]
    assert w.ids["sheet"] in [s["id"] for s in parent.get(f"{V1}/attendance/sheets").json()]


def test_a_provider_appeals_only_about_its_own_statement(w: World):
    from kezek.appeals.models import Appeal

    body = {"kind": "payment_refused", "subject_kind": "payment_statement", "subject_id": str(w.ids["statement"]),
            "text": "A day was refused."}
    refused = client_for(w, "other_provider_staff").post(f"{V1}/appeals", data=body)
    assert refused.status_code in (403, 404, 422), refused.content[:300]
    assert not Appeal.objects.filter(filer=w.users["other_provider_staff"]).exists()
    filed = client_for(w, "provider_staff").post(f"{V1}/appeals", data=body)
    assert filed.status_code == 201, filed.content[:300]
