"""kezek.core.errors: domain errors become problem JSON (API) or one translated sentence pair (pages)."""

from __future__ import annotations

import json

import pytest
from django.test import RequestFactory
from django.utils import translation

from kezek.core.errors import PROBLEM_CONTENT_TYPE, domain_error_response, error_text, problem_response, translate
from kezek.domain.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound, RateLimited


def request_with_id(path: str = "/api/v1/thing"):
    request = RequestFactory().get(path)
    request.request_id = "req-errors-0001"
    return request


@pytest.mark.parametrize(
    ("error", "status"),
    [(InvalidInput(), 422), (NotFound(), 404), (Forbidden(), 403), (Conflict(), 409), (RateLimited(retry_after=3), 429)],
)
def test_status_follows_the_kind_and_code_is_kept(error, status):
    response = domain_error_response(request_with_id(), error)
    body = json.loads(response.content)
    assert response.status_code == status and response["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert (body["status"], body["code"], body["instance"], body["request_id"]) == (status, error.code, "/api/v1/thing", "req-errors-0001")
    assert body["type"] == f"https://kezek.kz/problems/{error.code}"


def test_unknown_kind_is_a_plain_400():
    class Odd(DomainError):
        kind = "something_new"

    assert domain_error_response(None, Odd()).status_code == 400


def test_rate_limited_sets_retry_after_and_fills_the_hint():
    with translation.override("en"):
        response = domain_error_response(request_with_id(), RateLimited(retry_after=42))
        expected = translation.gettext("Wait %(retry_after)s seconds and try again.") % {"retry_after": 42}
    assert response["Retry-After"] == "42"
    assert json.loads(response.content)["detail"] == expected


def test_reason_parameter_becomes_an_extension_member():
    body = json.loads(domain_error_response(None, Conflict("Taken.", reason="quota_full")).content)
    assert body["reason"] == "quota_full" and "instance" not in body and "request_id" not in body


def test_problem_without_detail_omits_it_and_keeps_non_ascii():
    response = problem_response(None, status=404, code="not_found", title="Табылмады", errors=[{"loc": ["x"]}])
    body = json.loads(response.content)
    assert "detail" not in body and body["errors"] == [{"loc": ["x"]}]
    assert "Табылмады".encode() in response.content  # not \\u-escaped


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_messages_are_translated_into_the_active_language(language):
    error = RateLimited(retry_after=5)
    with translation.override(language):
        expected_message = translation.gettext(error.message)
        expected_hint = translation.gettext(error.hint) % {"retry_after": 5}
        assert error_text(error) == f"{expected_message} {expected_hint}"
        body = json.loads(domain_error_response(None, error).content)
    assert (body["title"], body["detail"]) == (expected_message, expected_hint)


def test_error_text_without_a_hint_is_just_the_message():
    with translation.override("en"):
        assert error_text(InvalidInput("Bad %(what)s.", what="IIN")) == "Bad IIN."
        assert translate("", {}) == ""
