"""The authorisation matrix of the HTML pages (issue 8): every page, every role, exactly the intended access.

One ``Page`` row per URL pattern outside ``/api/v1/`` and ``/admin/`` (a completeness test fails on a pattern with no
row), with the expected outcome of a GET for each of the eight roles:

- ``ok``: 200, or the page's normal redirect (any status below 400 that is not a sign-in redirect);
- ``signin``: a redirect to the parent's or the staff sign-in page with ``next`` set to the address asked for;
- ``forbidden``: the 403 page; ``not_found``: the 404 page (another person's id looks exactly like a missing one);
- ``not_allowed``: 405, for a role that passed the role check of a POST-only page;
- ``public`` rows: every role ok, and the row's note says why the page is public;
- ``refused``: a denial the page shows in its own words (a problem page, or a message on the page it redirects to):
  any status below 500 but not ``ok`` for a GET; for a POST the unchanged database is what counts.

403 and 404 pages must be in the user's language (the test browser asks for English), and whatever the other parent
is allowed to open must not show any of the parent's markers (children's names and IINs, voucher and referral
numbers, the appeal's text).

Pages that take a form or an htmx POST are posted by every role the row denies (with the CSRF token and a valid or
minimal body), and nothing in the database may change.

Then: the other parent puts every id of the parent's records into every id of every page (and the parent's children
and records into the forms that take them in their body); documents are reachable only through the checked pages;
and the back office (/admin/) lets in only officers and administrators, each officer seeing their district's rows.

The world (``pages_world.py``) is built once per module inside a transaction that is rolled back at the end; every
test runs in its own savepoint, so a POST that got through cannot leak into the next test.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from kezek.accounts.models import UserSession
from tests.integration.security.pages_world import build_pages_world, checkin_path
from tests.integration.security.world import PDF, ROLES, rolled_back_world

OK, SIGNIN, FORBIDDEN, NOT_FOUND, NOT_ALLOWED, REFUSED = "ok", "signin", "forbidden", "not_found", "not_allowed", "refused"
DENIALS = (SIGNIN, FORBIDDEN, NOT_FOUND, REFUSED)
SIGNIN_PATHS = ("/signin/", "/staff/signin/")
CSRF_SECRET = "0123456789abcdefghijklmnopqrstuv"  # a valid 32-character secret: cookie and form field agree


def expect(default: str, **roles: str) -> dict[str, str]:
    """An outcome per role: ``default`` unless named."""
    unknown = set(roles) - set(ROLES)
    assert not unknown, unknown
    return {role: roles.get(role, default) for role in ROLES}


PUBLIC = expect(OK)


def parent_page(other: str = NOT_FOUND, **roles: str) -> dict[str, str]:
    """A parent's page: anonymous to the SMS sign-in, staff 403, the other parent ``other``."""
    return expect(FORBIDDEN, **{"anonymous": SIGNIN, "parent": OK, "other_parent": other, **roles})


def staff_page(*allowed: str, **roles: str) -> dict[str, str]:
    """A staff page: ``allowed`` roles ok, anonymous to a sign-in, everyone else 403."""
    return expect(FORBIDDEN, **{"anonymous": SIGNIN, **{r: OK for r in allowed}, **roles})


def post_only(get: dict[str, str]) -> dict[str, str]:
    """The GET answers of a POST-only page: roles that pass its role check get 405."""
    return {role: NOT_ALLOWED if outcome == OK else outcome for role, outcome in get.items()}


OFFICERS = ("officer", "other_officer", "admin")
STAFF_DENIED = {"parent": FORBIDDEN, "other_parent": FORBIDDEN, "provider_staff": FORBIDDEN,
                "other_provider_staff": FORBIDDEN}
PROVIDERS = ("provider_staff", "other_provider_staff", "admin")
# Club pages: the club's staff plays the provider, the kindergarten's staff (same district) another provider.
CLUB = {"provider_staff": "club_staff", "other_provider_staff": "provider_staff"}


@dataclass(frozen=True)
class Page:
    name: str
    url: str  # filled from world.ids; {checkin} is the check-in address of the moment
    get: dict[str, str]
    post: dict[str, str] | None = None  # POST denials beyond the GET ones (None: the page takes no POST)
    body: Callable[[Any], dict[str, Any]] = lambda w: {}
    actors: dict[str, str] = field(default_factory=dict)  # role -> world.users key playing it on this page
    next: str | None = None  # where a sign-in redirect returns to, when not the address itself
    note: str = ""

    @property
    def id(self) -> str:
        return f"{self.name}:{self.url}"

    def post_denials(self) -> dict[str, str]:
        if self.post is None:
            return {}
        denials = {role: outcome for role, outcome in self.get.items() if outcome in DENIALS}
        return {**denials, **self.post}


def pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("scan.pdf", PDF, content_type="application/pdf")


PAGES: list[Page] = [
    # --- health, metrics, languages ------------------------------------------------------------------
    Page("health", "/health", PUBLIC, note="public: liveness for load balancers, says nothing"),
    Page("ready", "/ready", PUBLIC, note="public: readiness for load balancers"),
    Page("metrics", "/metrics", expect(NOT_FOUND), note="404 to every role: only the scraper's token or address"),
    Page("set_language", "/i18n/setlang/", PUBLIC, note="public: Django's language switch"),
    Page("web:language-use", "/language/en/?next=/", PUBLIC, note="public: the language link of cached pages"),
    # --- the parent's kindergarten wizard and cabinet ---------------------------------------------------
    Page("applications:apply", "/kindergarten/apply/", parent_page(OK)),
    Page("applications:apply-step", "/kindergarten/apply/step/1/", parent_page(OK), post={},
         body=lambda w: {"child": w.child.iin}),
    Page("applications:apply-search", "/kindergarten/apply/kindergartens/", parent_page(OK)),
    Page("applications:apply-done", "/kindergarten/apply/done/{application}/", parent_page()),
    Page("applications:mine", "/kindergarten/", parent_page(OK)),
    Page("applications:detail", "/kindergarten/{application}/", parent_page()),
    Page("applications:edit-contacts", "/kindergarten/{application}/contacts/", parent_page(), post={},
         body=lambda w: {"phone_1": "+77015550011", "phone_2": "+77015550012", "email": "", "notify_channel": "sms",
                         "notify_language": "ru"}),
    Page("applications:edit-preferences", "/kindergarten/{application}/kindergartens/", parent_page(), post={},
         body=lambda w: {"choice_1": w.org.pk}),
    Page("applications:withdraw", "/kindergarten/{application}/withdraw/", parent_page(), post={},
         body=lambda w: {"reason": "We moved away"}),
    Page("applications:claim-add", "/kindergarten/{application}/claims/add/", parent_page(), post={},
         body=lambda w: {"kind": "disability"}),
    Page("applications:claim-upload", "/kindergarten/claims/{claim}/document/",
         expect(NOT_FOUND, anonymous=SIGNIN, parent=OK), post={}, body=lambda w: {"document": pdf()},
         note="only the applicant uploads; officers read the document through claim-document"),
    Page("applications:claim-document", "/kindergarten/claims/{claim}/document/file",
         expect(NOT_FOUND, anonymous=SIGNIN, parent=OK, officer=OK, admin=OK),
         note="the applicant and the officers of the application's district"),
    Page("applications:officer-documents", "/kindergarten/officer/documents/", staff_page(*OFFICERS)),
    Page("applications:claim-decide", "/kindergarten/officer/claims/{claim}/decide/",
         post_only(expect(OK, anonymous=SIGNIN)),
         post={"parent": FORBIDDEN, "other_parent": FORBIDDEN, "provider_staff": FORBIDDEN,
               "other_provider_staff": FORBIDDEN, "other_officer": FORBIDDEN},
         body=lambda w: {"decision": "verify", "reason": "Checked"}),
    Page("applications:officer-queue", "/kindergarten/officer/queue/?district={district}",
         staff_page("officer", "admin")),
    Page("applications:officer-queue-csv", "/kindergarten/officer/queue.csv?district={district}",
         staff_page("officer", "admin")),
    # --- allocation rounds --------------------------------------------------------------------------------
    Page("rounds:officer-list", "/rounds/officer/", staff_page(*OFFICERS), post={},
         body=lambda w: {"district": w.district.pk, "title": "Hole", "policy": "queue", "tie_break": "registered_at",
                         "runs_at": "2031-01-10T10:00", "offers_close_at": "2031-01-13T10:00",
                         "open_to_all_at": "2031-01-14T10:00"}),
    Page("rounds:officer-detail", "/rounds/officer/{round_code}/", staff_page("officer", "admin")),
    *[
        Page(f"rounds:officer-{name}", f"/rounds/officer/{{round_code}}/{action}",
             expect(NOT_ALLOWED, anonymous=SIGNIN), post={**STAFF_DENIED, "other_officer": FORBIDDEN},
             note="the method is checked before the role (405 to every signed-in GET); POSTs are checked")
        for name, action in (("edit", "edit"), ("place", "places"), ("announce", "announce"), ("change", "change"),
                             ("run", "run"))
    ],
    Page("rounds:officer-progress", "/rounds/officer/{round_code}/progress", staff_page("officer", "admin")),
    Page("rounds:public-list", "/rounds/", PUBLIC, note="public: rounds are announced ahead"),
    Page("rounds:public-detail", "/rounds/{round_code}/", PUBLIC, note="public: places, changes and the seed"),
    Page("rounds:public-input", "/rounds/{round_code}/round-input.json", PUBLIC,
         note="public: anyone can re-run a round (pseudonymous public ids)"),
    Page("rounds:public-result", "/rounds/{round_code}/round-result.json", PUBLIC, note="public: the round's result"),
    # --- the waiting room ----------------------------------------------------------------------------------
    Page("rush:room", "/rush/{opening}/", PUBLIC, note="public: the countdown; signing in is asked at join"),
    Page("rush:status", "/rush/{opening}/status/", PUBLIC, note="public: the room's status fragment"),
    Page("rush:join", "/rush/{opening}/join/", expect(NOT_ALLOWED), post={"anonymous": SIGNIN},
         next="/rush/{opening}/", note="any signed-in account may wait in the room"),
    # --- appeals and incidents ------------------------------------------------------------------------------
    Page("appeals:mine", "/appeals/", staff_page("parent", "other_parent", *PROVIDERS)),
    Page("appeals:file", "/appeals/new/", staff_page("parent", "other_parent", *PROVIDERS), post={},
         body=lambda w: {"kind": "wrong_priority", "subject_kind": "application", "subject_id": w.application.pk,
                         "text": "Someone else's application"}),
    Page("appeals:detail", "/appeals/{appeal}/", expect(NOT_FOUND, anonymous=SIGNIN, parent=OK, officer=OK, admin=OK),
         note="the filer and the officers of the appeal's district"),
    Page("appeals:add-document", "/appeals/{appeal}/documents/", expect(NOT_ALLOWED, anonymous=SIGNIN),
         post={"other_parent": NOT_FOUND, "provider_staff": NOT_FOUND, "other_provider_staff": NOT_FOUND,
               "other_officer": NOT_FOUND},
         body=lambda w: {"document": pdf()}),
    Page("appeals:document", "/appeals/{appeal}/documents/{appeal_document}",
         expect(NOT_FOUND, anonymous=SIGNIN, parent=OK, officer=OK, admin=OK)),
    Page("appeals:decide", "/appeals/{appeal}/decide/", post_only(staff_page(*OFFICERS)),
         post={"other_officer": FORBIDDEN}, body=lambda w: {"decision": "upheld", "reason": "Hole"}),
    Page("appeals:officer-list", "/appeals/officer/", staff_page(*OFFICERS)),
    Page("appeals:incidents", "/appeals/incidents/", staff_page("admin"), post={},
         body=lambda w: {"starts_at": "2026-01-01T10:00", "ends_at": "2026-01-01T11:00", "description": "Hole"}),
    Page("appeals:incident", "/appeals/incidents/{incident}/", staff_page("admin")),
    Page("appeals:incident-restore", "/appeals/incidents/{incident}/restore/", post_only(staff_page("admin")), post={}),
    # --- transparency and the audit trail ----------------------------------------------------------------------
    Page("transparency:dashboard", "/transparency/", PUBLIC, note="public: the dashboard (aggregates only)"),
    Page("transparency:queue-csv", "/transparency/data/kindergarten-queue.csv", PUBLIC, note="public: open data"),
    Page("transparency:queue-json", "/transparency/data/kindergarten-queue.json", PUBLIC, note="public: open data"),
    Page("transparency:region", "/transparency/regions/{region_code}/", PUBLIC, note="public: a region's dashboard"),
    Page("transparency:activity-download", "/transparency/regions/{region_code}/rounds.csv", PUBLIC,
         note="public: open data"),
    Page("audit:checkpoints", "/transparency/checkpoints/", PUBLIC, note="public: audit checkpoints"),
    Page("audit:checkpoints-json", "/transparency/checkpoints.json", PUBLIC, note="public: audit checkpoints"),
    Page("audit:checkpoints-csv", "/transparency/checkpoints.csv", PUBLIC, note="public: audit checkpoints"),
    Page("audit:timeline", "/transparency/timeline/", PUBLIC, note="public: the public events, no personal data"),
    # --- payments ----------------------------------------------------------------------------------------------
    Page("payments:list", "/payments/", staff_page("provider_staff", "other_provider_staff", *OFFICERS),
         post={"provider_staff": NOT_FOUND, "other_provider_staff": NOT_FOUND},
         body=lambda w: {"organisation": w.org.pk, "month": "2025-01"}),
    Page("payments:detail", "/payments/{statement}/",
         staff_page("provider_staff", "officer", "admin", other_provider_staff=NOT_FOUND, other_officer=NOT_FOUND),
         post={"provider_staff": NOT_FOUND}, body=lambda w: {"action": "approve"}),
    Page("payments:csv", "/payments/{statement}/statement.csv",
         staff_page("provider_staff", "officer", "admin", other_provider_staff=NOT_FOUND, other_officer=NOT_FOUND)),
    Page("payments:pdf", "/payments/{statement}/statement.pdf",
         staff_page("provider_staff", "officer", "admin", other_provider_staff=NOT_FOUND, other_officer=NOT_FOUND)),
    # --- attendance ----------------------------------------------------------------------------------------------
    Page("attendance:staff", "/attendance/", staff_page(*PROVIDERS), post={"other_provider_staff": NOT_FOUND},
         body=lambda w: {"group": w.group.pk}),
    Page("attendance:roster", "/attendance/sessions/{session}/",
         staff_page("provider_staff", "admin", other_provider_staff=NOT_FOUND)),
    Page("attendance:roster-mark", "/attendance/sessions/{session}/mark/", post_only(staff_page(*PROVIDERS)),
         post={"other_provider_staff": NOT_FOUND},
         body=lambda w: {"child": w.enrolled_child.pk, "status": "absent", "reason": "ill"}),
    Page("attendance:qr", "/attendance/sessions/{session}/qr/",
         staff_page("provider_staff", "admin", other_provider_staff=NOT_FOUND)),
    Page("attendance:qr-code", "/attendance/sessions/{session}/qr/code/",
         staff_page("provider_staff", "admin", other_provider_staff=NOT_FOUND)),
    Page("attendance:checkin", "{checkin}", parent_page(REFUSED, admin=REFUSED), post={},
         body=lambda w: {"child": w.enrolled_child.pk},
         note="the code is only good for the parents of the session's children"),
    Page("attendance:sheets", "/attendance/sheets/", parent_page(OK, admin=OK)),
    Page("attendance:sheet", "/attendance/sheets/{sheet}/", parent_page(admin=NOT_FOUND), post={},
         body=lambda w: {"action": "confirm"}),
    Page("attendance:contests", "/attendance/contests/", staff_page("provider_staff", "other_provider_staff", *OFFICERS),
         post={"other_provider_staff": NOT_FOUND, "other_officer": NOT_FOUND},
         body=lambda w: {"contest": w.contest.pk, "decision": "upheld", "reason": "Hole"}),
    # --- clubs and vouchers -------------------------------------------------------------------------------------
    Page("vouchers:catalogue", "/clubs/", PUBLIC, note="public: the clubs catalogue"),
    Page("vouchers:provider-sections", "/clubs/provider/sections/", staff_page(*PROVIDERS), actors=CLUB, post={},
         body=lambda w: {"name": "Hole"}),
    Page("vouchers:provider-section", "/clubs/provider/sections/{section}/",
         staff_page("provider_staff", other_provider_staff=NOT_FOUND, admin=NOT_FOUND), actors=CLUB, post={},
         body=lambda w: {"name": "Hole"}, note="administrators have no organisation, so no section of their own"),
    Page("vouchers:approvals", "/clubs/officer/approvals/", staff_page(*OFFICERS), post={},
         body=lambda w: {"section": w.section.pk}),
    Page("vouchers:campaigns", "/vouchers/campaigns/", PUBLIC, note="public: announced campaigns"),
    Page("vouchers:campaign", "/vouchers/campaigns/{campaign}/", PUBLIC, note="public: an announced campaign"),
    Page("vouchers:campaign", "/vouchers/campaigns/{draft_campaign}/", expect(NOT_FOUND),
         note="a draft campaign is nobody's page until announced"),
    Page("vouchers:campaign-remaining", "/vouchers/campaigns/{campaign}/remaining/", PUBLIC,
         note="public: the live remaining count"),
    Page("vouchers:claim", "/vouchers/campaigns/{campaign}/stages/1/claim/", parent_page(OK, admin=OK), post={},
         body=lambda w: {"child_iin": w.voucher_child.iin}),
    Page("vouchers:apply", "/vouchers/campaigns/{campaign}/apply/", parent_page(OK, admin=OK), post={},
         body=lambda w: {"child_iin": w.voucher_child.iin}),
    Page("vouchers:mine", "/vouchers/mine/", parent_page(OK, admin=OK)),
    Page("vouchers:detail", "/vouchers/{voucher}/", parent_page(admin=NOT_FOUND)),
    Page("vouchers:place", "/vouchers/{voucher}/place/", post_only(parent_page(OK, admin=OK)),
         post={"other_parent": NOT_FOUND, "admin": NOT_FOUND},
         body=lambda w: {"section": w.section.pk, "accept_agreement": "on"}),
    Page("vouchers:release", "/vouchers/{voucher}/release/", post_only(parent_page(OK, admin=OK)),
         post={"other_parent": NOT_FOUND, "admin": NOT_FOUND}, body=lambda w: {"reason": "Hole"}),
    Page("vouchers:provider", "/vouchers/provider/", staff_page(*PROVIDERS), actors=CLUB),
    Page("vouchers:provider-decide", "/vouchers/provider/{voucher}/accept/", post_only(staff_page(*PROVIDERS)),
         actors=CLUB, post={"other_provider_staff": REFUSED}),
    Page("vouchers:officer-campaigns", "/vouchers/officer/", staff_page(*OFFICERS), post={},
         body=lambda w: {"title": "Hole", "district": w.district.pk}),
    Page("vouchers:officer-campaign", "/vouchers/officer/campaigns/{draft_campaign}/",
         staff_page("officer", "admin", other_officer=NOT_FOUND), post={}, body=lambda w: {"action": "announce"}),
    # --- offers, referrals, transfers, open to all --------------------------------------------------------------
    Page("placements:offers", "/kindergarten/offers/", parent_page(OK)),
    Page("placements:offer-accept", "/kindergarten/offers/{offer}/accept/", parent_page(), post={}),
    Page("placements:offer-decline", "/kindergarten/offers/{offer}/decline/", parent_page(), post={}),
    Page("placements:reactivate", "/kindergarten/offers/reactivate/{application}/", post_only(parent_page(OK)),
         post={"other_parent": REFUSED}),
    Page("placements:referral", "/kindergarten/referrals/{referral}/", parent_page()),
    Page("placements:referral-pdf", "/kindergarten/referrals/{referral}/pdf/", parent_page()),
    Page("placements:transfer", "/kindergarten/transfer/{enrolment}/", parent_page(), post={},
         body=lambda w: {"choice_1": w.other_org.pk}),
    Page("placements:provider-referrals", "/kindergarten/provider/referrals/", staff_page(*PROVIDERS)),
    Page("placements:contract-confirm", "/kindergarten/provider/referrals/{referral}/confirm/",
         post_only(staff_page(*PROVIDERS)), post={"other_provider_staff": REFUSED}),
    Page("placements:officer-referrals", "/kindergarten/officer/referrals/", staff_page(*OFFICERS)),
    Page("placements:referral-extend", "/kindergarten/officer/referrals/{referral}/extend/",
         staff_page("officer", "admin", other_officer=NOT_FOUND), post={},
         body=lambda w: {"days": 5, "reason": "Hole"}),
    Page("placements:check", "/referrals/check/{referral_token}/", PUBLIC,
         note="public: the referral's QR code opens it (says whether the referral is genuine)"),
    Page("placements:open-to-all", "/kindergarten/open/{round_code}/", parent_page(OK), post={},
         body=lambda w: {"place": 1, "application": w.application.pk, "idempotency_key": "hole"}),
    Page("placements:open-to-all-remaining", "/kindergarten/open/{round_code}/remaining/", PUBLIC,
         note="public: the free places left, polled by the round's page"),
    # --- integrity -------------------------------------------------------------------------------------------------
    Page("integrity:children", "/integrity/children/", parent_page(OK, admin=OK)),
    Page("integrity:dispute-new", "/integrity/disputes/new/enrolment/{enrolment}/", parent_page(admin=NOT_FOUND),
         post={}, body=lambda w: {"since": "2026-01-01", "reason": "Hole"}),
    Page("integrity:officer-flags", "/integrity/officer/flags/", staff_page(*OFFICERS)),
    Page("integrity:officer-flag-review", "/integrity/officer/flags/{flag}/confirm/", post_only(staff_page(*OFFICERS)),
         post={"other_officer": REFUSED}, body=lambda w: {"note": "Hole"}),
    Page("integrity:officer-disputes", "/integrity/officer/disputes/", staff_page(*OFFICERS)),
    Page("integrity:officer-dispute-decide", "/integrity/officer/disputes/{dispute}/uphold/",
         post_only(staff_page(*OFFICERS)), post={"other_officer": REFUSED}, body=lambda w: {"note": "Hole"}),
    Page("integrity:officer-suspensions", "/integrity/officer/suspensions/", staff_page(*OFFICERS), post={},
         body=lambda w: {"suspension": 1, "note": "Hole"}),
    Page("integrity:provider-disputes", "/integrity/provider/disputes/", staff_page(*PROVIDERS),
         post={"other_provider_staff": FORBIDDEN}, body=lambda w: {"dispute": w.dispute.pk, "note": "Hole"}),
    # --- home, sign-in, account -------------------------------------------------------------------------------------
    Page("web:home", "/", PUBLIC, note="public: the home page"),
    Page("web:parent-signin", "/signin/", PUBLIC, note="public: signed-in users are sent on to their account"),
    Page("web:staff-signin", "/staff/signin/", PUBLIC, note="public: the staff sign-in"),
    Page("web:account", "/account/", expect(OK, anonymous=SIGNIN)),
    Page("web:session-end", "/account/sessions/{user_session}/end/", expect(NOT_ALLOWED),
         post={"anonymous": SIGNIN, "other_parent": REFUSED, "provider_staff": REFUSED, "officer": REFUSED},
         note="POST only; a session is ended by its own account, or by an administrator (audited as such)"),
    Page("web:signout", "/signout/", expect(NOT_ALLOWED), note="POST only; signing out is everyone's right"),
    # --- personal data -------------------------------------------------------------------------------------------
    Page("privacy:my-data", "/account/privacy/", parent_page(OK, admin=NOT_FOUND), post={},
         body=lambda w: {"reason": "Hole"}, note="each parent sees their own; administrators hold no personal record"),
    Page("privacy:export", "/account/privacy/export.json", parent_page(OK, admin=NOT_FOUND),
         note="each parent downloads their own data only (checked for the parent's markers below)"),
]


# --- the world and the clients ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pages(django_db_setup, django_db_blocker, tmp_path_factory):
    """The pages' world, written once for the module inside a transaction rolled back at its end."""
    media = tmp_path_factory.mktemp("pages-private-media")
    # No metrics token or scraper address: /metrics is then nobody's page, whatever the environment sets.
    no_scraper = {"KEZEK_METRICS_TOKEN": "", "KEZEK_METRICS_ALLOWED_IPS": []}
    with rolled_back_world(build_pages_world, media=media, django_db_blocker=django_db_blocker, **no_scraper) as world:
        yield world


def client_for(world, user_key: str, *, settle: bool = True) -> Client:
    """A browser of this user, in English, that sends the CSRF token as a real form would.

    ``settle``: make the first signed-in request now (it records the session), so that a later database digest
    sees only what the page did.
    """
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.cookies[settings.CSRF_COOKIE_NAME] = CSRF_SECRET
    user = world.users[user_key]
    if user is not None:
        client.force_login(user)
        if settle:
            client.get("/")  # the home page: any page but the probes (which skip the session)
    return client


def url_of(page: Page, world, template: str | None = None) -> str:
    template = page.url if template is None else template
    ids = dict(world.ids)
    if "{checkin}" in template:
        ids["checkin"] = checkin_path(world)
    return template.format(**ids)


def body_of(response) -> bytes:
    """The whole body, also of a streamed download (read once, then kept on the response)."""
    if not hasattr(response, "pages_body"):
        streamed = getattr(response, "streaming", False)
        response.pages_body = b"".join(response.streaming_content) if streamed else response.content
    return response.pages_body


def outcome_of(response, *, next_url: str) -> str:
    """The response as one of the matrix outcomes (or its status code)."""
    status = response.status_code
    if status in (301, 302, 303):
        target = urlparse(response["Location"])
        if target.path in SIGNIN_PATHS:
            returns_to = parse_qs(target.query).get("next", [""])[0]
            return SIGNIN if returns_to == next_url else f"signin(next={returns_to})"
    if status == 403:
        return FORBIDDEN
    if status == 404:
        return NOT_FOUND
    if status == 405:
        return NOT_ALLOWED
    return OK if status < 400 else str(status)


def _denial_speaks_english(response, outcome: str) -> bool:
    """403 and 404 pages answer in the user's language (the test browser asks for English)."""
    if outcome not in (FORBIDDEN, NOT_FOUND) or "text/html" not in response.get("Content-Type", ""):
        return True
    return 'lang="en"' in body_of(response).decode(errors="replace")


# Last-seen times move on every signed-in request; rate-limit counters count every rush request, refused or not.
IGNORED_TABLES = {"accounts.usersession", "core.ratecounter"}


def fingerprint() -> dict[str, str]:
    """A digest of every row of every Kezek table: equal digests, nothing changed."""
    digests = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if not model.__module__.startswith("kezek.") or label in IGNORED_TABLES:
            continue
        rows = list(model.objects.order_by("pk").values_list())
        digests[label] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return digests


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(label for label in before if before[label] != after.get(label))


# --- the tests -------------------------------------------------------------------------------------------------


def _user_key(page: Page, role: str) -> str:
    return page.actors.get(role, role)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.id)
def test_get_matrix(page: Page, pages, db):
    """Each role's GET of the page ends exactly as the row says."""
    url = url_of(page, pages)
    next_url = url_of(page, pages, page.next) if page.next else url
    wrong = {}
    for role in ROLES:
        expected = page.get[role]
        response = client_for(pages, _user_key(page, role), settle=False).get(url)
        got = outcome_of(response, next_url=next_url)
        if expected == REFUSED:
            matches = got not in (OK,) and response.status_code < 500
        else:
            matches = got == expected
        if not matches or not _denial_speaks_english(response, got):
            wrong[role] = f"expected {expected}, got {got} ({response.status_code})"
        elif role == "other_parent" and (shown := _markers_in(response, pages.markers)):
            wrong[role] = f"shows the parent's {shown}"
    assert not wrong, f"{page.name} {url}: {wrong}"


def _markers_in(response, markers: list[str]) -> str:
    """Which of the parent's markers a successful answer shows (any content type)."""
    if response.status_code != 200:
        return ""
    text = body_of(response).decode(errors="replace")
    return ", ".join(marker for marker in markers if marker in text)


POST_PAGES = [page for page in PAGES if page.post_denials()]


@pytest.mark.parametrize("page", POST_PAGES, ids=lambda p: p.id)
def test_post_denied(page: Page, pages, db):
    """Every role the row denies is refused a POST (with a valid CSRF token), and nothing changes."""
    url = url_of(page, pages)
    next_url = url_of(page, pages, page.next) if page.next else url
    clients = {role: client_for(pages, _user_key(page, role)) for role in page.post_denials()}
    before = fingerprint()  # after signing in, which writes (last login, the session's audit event)
    wrong = {}
    for role, expected in page.post_denials().items():
        response = clients[role].post(url, {**page.body(pages), "csrfmiddlewaretoken": CSRF_SECRET})
        got = outcome_of(response, next_url=next_url)
        if expected == REFUSED:
            matches = response.status_code < 500 and got != SIGNIN
        else:
            matches = got == expected
        if not matches:
            wrong[role] = f"expected {expected}, got {got} ({response.status_code})"
    if tables := changed(before, fingerprint()):
        wrong["database"] = f"changed by the refused POSTs: {tables}"
    assert not wrong, f"POST {page.name} {url}: {wrong}"


def test_fingerprint_sees_a_change(pages, db):
    """The digest the POST tests compare does notice a changed row (so "nothing changed" can fail)."""
    before = fingerprint()
    pages.application.__class__.objects.filter(pk=pages.application.pk).update(email="changed@example.com")
    assert changed(before, fingerprint()) == ["applications.application"]


def test_post_with_csrf_token_reaches_the_view(pages, db):
    """The matrix's POSTs pass the CSRF check (a 403 above is the page's own refusal, not a CSRF failure)."""
    client = client_for(pages, "parent")
    response = client.post("/kindergarten/apply/step/1/", {"csrfmiddlewaretoken": CSRF_SECRET})
    assert response.status_code == 200
    refused = client_for(pages, "parent").post("/kindergarten/apply/step/1/", {"csrfmiddlewaretoken": "x" * 32})
    assert refused.status_code == 403


# --- completeness ---------------------------------------------------------------------------------------------


def _patterns(patterns, prefix: str = "", namespace: str | None = None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace or None
            full = f"{namespace}:{inner}" if namespace and inner else (inner or namespace)
            yield from _patterns(pattern.url_patterns, prefix + str(pattern.pattern), full)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield prefix + str(pattern.pattern), name


def page_patterns() -> dict[str, str]:
    """URL name -> route of every page pattern outside the API and the admin."""
    return {name: route for route, name in _patterns(get_resolver().url_patterns)
            if not route.startswith(("api/v1/", "admin/"))}


def test_every_page_has_a_row():
    """A new page must be classified here: a URL pattern without a row fails."""
    missing = sorted(set(page_patterns()) - {page.name for page in PAGES})
    assert not missing, f"pages with no row in the matrix: {missing}"


def test_every_page_pattern_is_named():
    """Rows are matched by URL name, so every page pattern needs one."""
    unnamed = [route for route, name in _patterns(get_resolver().url_patterns)
               if not name and not route.startswith(("api/v1/", "admin/"))]
    assert not unnamed


def test_rows_address_their_page(pages, db):
    """Each row's address resolves to the page it is named after (no typo makes a row test another page)."""
    wrong = {}
    for page in PAGES:
        path = urlparse(url_of(page, pages)).path
        if resolve(path).view_name != page.name:
            wrong[page.id] = resolve(path).view_name
    assert not wrong


# --- by any id ----------------------------------------------------------------------------------------------------

# Everything that is the parent's (their children, applications, documents, vouchers, offers, referral, enrolment,
# sheet, dispute, appeal and its document, a session of their account).
OWNED = (
    "child", "enrolled_child", "voucher_child", "referral_child", "application", "enrolled_application", "claim",
    "offer", "accepted_offer", "referral", "enrolment", "voucher", "appeal", "appeal_document", "dispute", "sheet",
    "contest", "mark", "user_session",
)


TEXT_IDS = {"round_code", "referral_round_code", "referral_token", "opening", "region_code", "checkin"}


def _int_fields(template: str) -> list[str]:
    """The placeholders of a row's address that take a number (an object's id)."""
    return [name for _, name, _, _ in string.Formatter().parse(template) if name and name not in TEXT_IDS]


ID_PAGES = [page for page in PAGES if _int_fields(page.url)]


def _leaks(response, markers: list[str]) -> str:
    """What of the parent's shows in a 200 answer: a marker, or a download at all."""
    if response.status_code != 200:
        return ""
    content_type = response.get("Content-Type", "")
    if "text/html" not in content_type:
        return f"a {content_type} download"
    return _markers_in(response, markers)


@pytest.mark.parametrize("page", ID_PAGES, ids=lambda p: p.id)
def test_other_parent_by_any_id(page: Page, pages, db):
    """The other parent puts every id of the parent's records in every id of the page: never their data, no change."""
    client = client_for(pages, "other_parent")
    # Ending one's own session is allowed and would sign the test's browser out: those ids are not the parent's.
    own_sessions = set(UserSession.objects.filter(user=pages.users["other_parent"]).values_list("pk", flat=True))
    found = {}
    before = fingerprint()
    for slot in _int_fields(page.url):
        for kind in OWNED:
            if page.name == "web:session-end" and pages.ids[kind] in own_sessions:
                continue
            url = page.url.format(**{**pages.ids, slot: pages.ids[kind]})
            if leak := _leaks(client.get(url), pages.markers):
                found[f"GET {url} ({slot}={kind})"] = leak
            if page.post is not None:
                response = client.post(url, {**page.body(pages), "csrfmiddlewaretoken": CSRF_SECRET})
                if response.status_code >= 500:
                    found[f"POST {url} ({slot}={kind})"] = str(response.status_code)
    assert not found, found
    assert changed(before, fingerprint()) == []
    assert client.get("/account/").status_code == 200  # still signed in: every answer above was to the other parent


def _parents_ids_in_forms(w) -> list[tuple[str, dict[str, Any]]]:
    """Forms that take a child or a record in their body, filled with the parent's (not the address's) ids."""
    forms = [
        ("/kindergarten/apply/step/1/", {"child": "other", "iin": w.child.iin}),
        (f"/vouchers/campaigns/{w.campaign.pk}/apply/", {"child_iin": w.voucher_child.iin}),
        (f"/vouchers/campaigns/{w.campaign.pk}/stages/1/claim/", {"child_iin": w.voucher_child.iin}),
    ]
    subjects = [("wrong_priority", "application", w.application.pk), ("offer_expired_while_down", "offer", w.offer.pk),
                ("lost_place", "voucher", w.voucher.pk), ("payment_refused", "payment_statement", w.statement.pk)]
    forms += [("/appeals/new/", {"kind": kind, "subject_kind": subject, "subject_id": pk, "text": "Not mine"})
              for kind, subject, pk in subjects]
    return forms


def test_other_parent_puts_the_parents_ids_in_forms(pages, db):
    """The parent's children and records typed into another parent's forms are refused on the form; nothing changes."""
    client = client_for(pages, "other_parent")
    before = fingerprint()
    answers = {url + f" {body}": client.post(url, {**body, "csrfmiddlewaretoken": CSRF_SECRET})
               for url, body in _parents_ids_in_forms(pages)}
    accepted = {form: response.status_code for form, response in answers.items()
                if response.status_code in (301, 302, 303) or response.status_code >= 500}
    assert not accepted, accepted
    assert changed(before, fingerprint()) == []


def test_documents_only_through_permission_checks(pages, db):
    """Uploaded documents live outside the static files and no URL serves the private folder directly."""
    claim, document = pages.claim, pages.appeal_document
    media = str(settings.MEDIA_ROOT)
    for stored in (claim.document, document.file):
        assert stored.path.startswith(media)
        assert not stored.path.startswith(str(settings.STATIC_ROOT))
        for prefix in ("/media/", "/private/", "/static/", "/"):
            response = client_for(pages, "parent").get(prefix + stored.name)
            assert response.status_code == 404, prefix + stored.name
    # Through the pages: the owner gets the bytes as a download that browsers never render or sniff.
    response = client_for(pages, "parent").get(f"/kindergarten/claims/{claim.pk}/document/file")
    assert response.status_code == 200 and body_of(response) == PDF
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


# --- the back office -------------------------------------------------------------------------------------------------


ADMIN_ENTRY = {
    "anonymous": "signin", "parent": "signin", "other_parent": "signin", "provider_staff": "signin",
    "other_provider_staff": "signin", "officer": OK, "other_officer": OK, "admin": OK,
}


@pytest.mark.parametrize("role", ROLES)
def test_admin_entry(role: str, pages, db):
    """Only back-office accounts (officers, administrators) enter /admin/; others are sent to the staff sign-in."""
    response = client_for(pages, role).get("/admin/")
    if ADMIN_ENTRY[role] == OK:
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert urlparse(response["Location"]).path in ("/admin/login/", "/staff/signin/")


def _changelist(role: str, pages, path: str) -> str:
    response = client_for(pages, role).get(path)
    assert response.status_code == 200, (role, path, response.status_code)
    return body_of(response).decode()


def test_admin_people_by_district(pages, db):
    """People (with their IINs) and applications show to the officers of their district and administrators only."""
    child = pages.child
    for role, sees in (("officer", True), ("other_officer", False), ("admin", True)):
        people = _changelist(role, pages, "/admin/people/person/")  # not searched: the search box echoes the query
        assert (child.iin in people) is sees, role
        applications = _changelist(role, pages, "/admin/applications/application/")
        assert (pages.application.public_id in applications) is sees, role
        person_page = client_for(pages, role).get(f"/admin/people/person/{child.pk}/change/")
        assert (person_page.status_code == 200) is sees, role


# Back-office lists with personal data and what of the parent's each shows (a voucher number, a child's name).
ADMIN_LISTS = {
    "/admin/vouchers/vouchercampaign/": lambda w: w.draft_campaign.title,
    "/admin/vouchers/voucher/": lambda w: w.voucher.number,
    "/admin/vouchers/voucherevent/": lambda w: w.voucher.number,
    "/admin/attendance/mark/": lambda w: w.enrolled_child.first_name,
    "/admin/attendance/monthlysheet/": lambda w: w.enrolled_child.first_name,
    "/admin/integrity/dispute/": lambda w: w.enrolled_child.first_name,
    "/admin/placements/enrolment/": lambda w: w.enrolled_child.first_name,
}


@pytest.mark.parametrize("path", ADMIN_LISTS)
def test_admin_lists_by_district(path: str, pages, db):
    """Officers see their own district's rows in the back office, never another district's; administrators all."""
    marker = ADMIN_LISTS[path](pages)
    for role, sees in (("officer", True), ("other_officer", False), ("admin", True)):
        assert (marker in _changelist(role, pages, path)) is sees, role


def test_admin_is_read_only_for_officers(pages, db):
    """Officers look but never change registry people or applications in the back office (services do that)."""
    client = client_for(pages, "officer")
    for path in ("/admin/people/person/add/", "/admin/applications/application/add/"):
        assert client.get(path).status_code == 403
    before = fingerprint()
    response = client.post(f"/admin/people/person/{pages.child.pk}/change/",
                           {"first_name": "Changed", "csrfmiddlewaretoken": CSRF_SECRET})
    assert response.status_code == 403
    assert changed(before, fingerprint()) == []
