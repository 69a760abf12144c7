"""The API's error contract: RFC 9457 problem JSON with a stable code, in the caller's language, never a 500."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from django.conf import settings
from django.test import RequestFactory
from django.utils import translation

from config.api import api

pytestmark = pytest.mark.django_db

OTP_REQUEST = "/api/v1/auth/otp/request"
OTP_VERIFY = "/api/v1/auth/otp/verify"
PROBLEM = "application/problem+json"


def post(client, path: str, body: str | bytes, **headers):
    return client.post(path, data=body, content_type="application/json", **headers)


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert (body["status"], body["code"]) == (status, code)
    assert body["type"].endswith(f"/{code}") and body["title"]
    assert body["request_id"] == response["X-Request-ID"]
    return body


@pytest.mark.parametrize("path", [OTP_REQUEST, OTP_VERIFY])
@pytest.mark.parametrize(
    "body",
    ['{"phone": "+77011234567"', "{bad json}", "phone=+77011234567", b"\xff\xfe\x00{", "nul\x00l"],
    ids=["truncated", "not-json", "form-encoded", "bad-utf8", "nul"],
)
def test_malformed_json_is_400_malformed_json(client, path, body):
    problem = assert_problem(post(client, path, body), 400, "malformed_json")
    assert problem["instance"] == path


@pytest.mark.parametrize(
    ("path", "body", "locs"),
    [
        (OTP_REQUEST, {}, [["body", "payload", "phone"]]),
        (OTP_REQUEST, {"phone": 77011234567}, [["body", "payload", "phone"]]),
        (OTP_REQUEST, {"phone": ["+77011234567"], "language": 5}, [["body", "payload", "phone"], ["body", "payload", "language"]]),
        (OTP_REQUEST, {"phone": "7" * 33}, [["body", "payload", "phone"]]),
        (OTP_VERIFY, {"phone": "+77011234567"}, [["body", "payload", "code"]]),
        (OTP_VERIFY, {"phone": None, "code": {"a": 1}}, [["body", "payload", "phone"], ["body", "payload", "code"]]),
    ],
)
def test_wrong_types_and_missing_fields_are_422_with_errors(client, path, body, locs):
    problem = assert_problem(post(client, path, json.dumps(body)), 422, "validation_error")
    assert sorted(e["loc"] for e in problem["errors"]) == sorted(locs)
    assert all(e["msg"] and e["type"] for e in problem["errors"])


@pytest.mark.parametrize("body", ["[1, 2]", '"a string"', "42", "null"])
def test_a_body_that_is_json_but_not_an_object_is_422(client, body):
    assert_problem(post(client, OTP_REQUEST, body), 422, "validation_error")


def test_body_over_the_limit_is_413(client):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = json.dumps({"phone": "+77011234567", "padding": "x" * limit})
    assert len(body.encode()) > limit
    problem = assert_problem(post(client, OTP_REQUEST, body), 413, "body_too_large")
    assert problem["instance"] == OTP_REQUEST


def test_body_just_under_the_limit_is_read(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    body = json.dumps({"phone": 5, "padding": "x" * 1900})
    assert len(body) <= 2000
    assert_problem(post(client, OTP_REQUEST, body), 422, "validation_error")
    assert_problem(post(client, OTP_REQUEST, body + " " * 100), 413, "body_too_large")


@pytest.mark.django_db(transaction=True)
def test_real_http_requests_get_problem_json(live_server):
    """Over a real socket: a real Content-Length over the limit, and a body that is not JSON."""

    def send(path: str, data: bytes | None, method: str = "POST") -> tuple[int, str, dict]:
        request = urllib.request.Request(live_server.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json", "Accept-Language": "en"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.headers["Content-Type"], json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, error.headers["Content-Type"], json.loads(error.read())

    big = b'{"phone": "' + b"7" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10) + b'"}'
    status, content_type, body = send(OTP_REQUEST, big)
    assert (status, content_type, body["code"]) == (413, PROBLEM, "body_too_large")
    status, content_type, body = send(OTP_REQUEST, b"{not json")
    assert (status, content_type, body["code"]) == (400, PROBLEM, "malformed_json")
    status, content_type, body = send("/api/v1/no/such/route", None, "GET")
    assert (status, content_type, body["code"]) == (404, PROBLEM, "not_found")


@pytest.mark.parametrize("path", ["/api/v1/no-such-route", "/api/v1/auth/no-such", "/api/v1/"])
def test_unknown_route_under_the_api_is_404_problem_json(client, path):
    assert_problem(client.get(path), 404, "not_found")
    assert_problem(post(client, path, "{}"), 404, "not_found")


def test_wrong_method_is_405_problem_json(client):
    response = client.get(OTP_REQUEST)
    problem = assert_problem(response, 405, "method_not_allowed")
    assert response["Allow"] == "POST" and "POST" in problem["detail"]


def test_pages_outside_the_api_keep_their_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and not response["Content-Type"].startswith(PROBLEM)


def test_openapi_schema_is_valid_json_with_paths(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/health", OTP_REQUEST, OTP_VERIFY} <= set(schema["paths"])


def test_health(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_messages_follow_accept_language(client, language):
    response = post(client, OTP_REQUEST, "{bad", HTTP_ACCEPT_LANGUAGE=f"{language},en;q=0.5")
    problem = assert_problem(response, 400, "malformed_json")
    assert response["Content-Language"] == language
    with translation.override(language):
        assert problem["title"] == translation.gettext("The request body is not valid JSON.")
        assert problem["detail"] == translation.gettext("Send a JSON object with the fields described in the API documentation.")
    not_found = client.get("/api/v1/nowhere", HTTP_ACCEPT_LANGUAGE=language)
    assert not_found["Content-Language"] == language
    with translation.override(language):
        assert not_found.json()["title"] == translation.gettext("Not found.")


def test_unsupported_language_falls_back_to_the_default(client):
    response = post(client, OTP_REQUEST, "{}", HTTP_ACCEPT_LANGUAGE="de")
    problem = assert_problem(response, 422, "validation_error")
    assert response["Content-Language"] == settings.LANGUAGE_CODE
    with translation.override(settings.LANGUAGE_CODE):
        assert problem["title"] == translation.gettext("Some fields are missing or have the wrong type.")


def test_request_id_is_echoed_and_reported(client):
    response = post(client, OTP_REQUEST, "{bad", HTTP_X_REQUEST_ID="client-req-0001")
    assert response["X-Request-ID"] == "client-req-0001"
    assert assert_problem(response, 400, "malformed_json")["request_id"] == "client-req-0001"


@pytest.mark.parametrize("incoming", ["short", "has spaces in it", "x" * 65, "semi;colon-123"])
def test_unsafe_request_ids_are_replaced(client, incoming):
    response = post(client, OTP_REQUEST, "{}", HTTP_X_REQUEST_ID=incoming)
    generated = response["X-Request-ID"]
    assert generated != incoming and len(generated) == 32
    assert response.json()["request_id"] == generated


def test_successful_responses_carry_a_request_id(client):
    first, second = client.get("/api/v1/health"), client.get("/api/v1/health")
    assert first["X-Request-ID"] and first["X-Request-ID"] != second["X-Request-ID"]


def test_unexpected_exception_is_a_500_problem_without_details():
    request = RequestFactory().post(OTP_REQUEST)
    request.request_id = "req-unexpected-1"
    response = api.on_exception(request, RuntimeError("secret internals"))
    body = json.loads(response.content)
    assert (response.status_code, body["code"], body["request_id"]) == (500, "internal_error", "req-unexpected-1")
    assert "secret" not in response.content.decode()


def test_too_many_form_fields_is_a_400_problem():
    from django.core.exceptions import TooManyFieldsSent

    request = RequestFactory().post(OTP_REQUEST)
    response = api.on_exception(request, TooManyFieldsSent("too many"))
    assert (response.status_code, json.loads(response.content)["code"]) == (400, "bad_request")
