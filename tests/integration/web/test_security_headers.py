"""Security headers on pages and API answers; session keys rotated at every sign-in (OWASP ASVS level 2)."""

import re

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from tests.factories.accounts import STAFF_PASSWORD, make_adult_person, make_officer
from tests.integration.web.helpers import ask_code, code_sent_to, enter_code, html

pytestmark = pytest.mark.django_db

SCRIPT_TAG = re.compile(r"<script\b[^>]*>")
NONCE_ATTR = re.compile(r'\bnonce="([^"]+)"')
CSP_NONCE = re.compile(r"'nonce-([^']+)'")


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    parsed = {}
    for part in policy.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def assert_common_headers(response) -> None:
    csp = directives(response)
    assert csp["default-src"] == ["'self'"]
    # The nonce is named only when the answer used one (pages do, JSON does not); nothing inline otherwise.
    assert csp["script-src"][0] == "'self'" and all(CSP_NONCE.fullmatch(v) for v in csp["script-src"][1:])
    assert csp["style-src"] == ["'self'"], "no 'unsafe-inline' for styles"
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["frame-ancestors"] == ["'none'"] and csp["form-action"] == ["'self'"]
    assert csp["base-uri"] == ["'none'"] and csp["object-src"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]


def page_nonce(response) -> str:
    return CSP_NONCE.search(response["Content-Security-Policy"]).group(1)


@pytest.mark.parametrize("path", ["/", "/signin/", "/staff/signin/", "/clubs/", "/transparency/", "/rounds/"])
def test_every_page_carries_the_headers_and_each_script_the_pages_nonce(path):
    response = Client().get(path, follow=True)  # /transparency/ leads on to the default region's page
    assert response.status_code == 200
    assert_common_headers(response)
    tags = SCRIPT_TAG.findall(html(response))
    assert tags, "base.html loads htmx"
    assert {NONCE_ATTR.search(tag).group(1) for tag in tags} == {page_nonce(response)}
    assert "style=" not in html(response) and "<style" not in html(response)
    assert '"includeIndicatorStyles": false' in html(response)


def test_each_answer_gets_its_own_nonce():
    assert page_nonce(Client().get("/signin/")) != page_nonce(Client().get("/signin/"))


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/api/v1/auth/csrf"), ("get", "/api/v1/auth/me"), ("get", "/api/v1/no-such-thing"), ("post", "/api/v1/auth/otp/request")],
)
def test_api_answers_carry_the_headers_too(method, path):
    response = getattr(Client(), method)(path, content_type="application/json", data={} if method == "post" else None)
    assert_common_headers(response)


def test_cookies_are_httponly_and_samesite_and_secure_over_https(settings, sms_file):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    client = Client()
    client.get("/staff/signin/")
    ask_code(client, make_adult_person().phone)
    for name in ("sessionid", "csrftoken"):
        cookie = client.cookies[name]
        assert cookie["httponly"] and cookie["secure"] and cookie["samesite"] == "Lax", name


def test_hsts_and_https_redirect_when_served_over_https(settings):
    settings.SECURE_HSTS_SECONDS, settings.SECURE_SSL_REDIRECT = 31536000, True
    assert Client().get("/").status_code == 301
    response = Client().get("/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    # Load balancers probe health over plain http on the private network.
    assert Client().get("/health").status_code != 301


def test_api_docs_load_swagger_from_this_site_only():
    body = html(Client().get("/api/v1/docs"))
    assert "cdn." not in body and "/static/ninja/swagger-ui-bundle.js" in body


def test_parent_sign_in_rotates_the_session_key(sms_file):
    person = make_adult_person()
    client = Client()
    ask_code(client, person.phone)
    before = client.cookies["sessionid"].value
    assert Session.objects.filter(session_key=before).exists()
    assert enter_code(client, code_sent_to(sms_file, person.phone)).status_code == 302
    after = client.cookies["sessionid"].value
    assert after != before
    assert not Session.objects.filter(session_key=before).exists(), "the old key must not stay usable"
    assert client.get("/account/").status_code == 200


def test_staff_sign_in_rotates_the_session_key():
    officer = make_officer()
    client = Client()
    session = client.session  # a session fixed before sign-in, as an attacker would plant it
    session["planted"] = True
    session.save()
    before = client.cookies["sessionid"].value
    response = client.post("/staff/signin/", {"username": officer.username, "password": STAFF_PASSWORD})
    assert response.status_code == 302
    assert client.cookies["sessionid"].value != before
    assert not Session.objects.filter(session_key=before).exists()


def test_api_sign_in_rotates_the_session_key():
    officer = make_officer()
    client = Client()
    session = client.session
    session.save()
    before = client.cookies["sessionid"].value
    response = client.post(
        "/api/v1/auth/staff/signin", {"username": officer.username, "password": STAFF_PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 200
    assert client.cookies["sessionid"].value != before


@pytest.mark.parametrize(("percent", "step"), [(None, 0), (0.0, 0), (2.4, 0), (2.6, 5), (33.3, 35), (99.0, 100), (100.0, 100), (140.0, 100)])
def test_chart_bars_are_width_classes_in_steps_of_five(percent, step):
    # Inline style="width: …" would need 'unsafe-inline' styles; site.css has .bar.w-0 … .bar.w-100.
    from kezek.web.templatetags.kezek_web import bar_step

    assert bar_step(percent) == step
