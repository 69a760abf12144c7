import pytest
from django.conf import settings as django_settings
from django.test import Client

from kezek.accounts.models import UserSession
from kezek.audit.models import AuditEvent
from kezek.notifications.models import OutboxMessage
from tests.factories.accounts import STAFF_PASSWORD, make_adult_person, make_officer, unique_kz_mobile
from tests.integration.accounts.helpers import last_code

pytestmark = pytest.mark.django_db
BASE = "/api/v1/auth"


def post(client: Client, path: str, body: dict | None = None, **extra):
    return client.post(f"{BASE}{path}", body or {}, content_type="application/json", **extra)


def parent_client(person, user_agent: str = "phone-browser") -> Client:
    client = Client(HTTP_USER_AGENT=user_agent)
    assert post(client, "/otp/request", {"phone": person.phone}).status_code == 202
    response = post(client, "/otp/verify", {"phone": person.phone, "code": last_code(person.phone)})
    assert response.status_code == 200, response.content
    return client


def test_otp_request_answers_the_same_for_known_and_unknown_phones():
    person = make_adult_person()
    client = Client()
    known = post(client, "/otp/request", {"phone": person.phone, "language": "en"})
    unknown = post(client, "/otp/request", {"phone": unique_kz_mobile()})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json() == {"status": "sent_if_registered"}
    assert OutboxMessage.objects.get(recipient=person.phone).language == "en"
    assert OutboxMessage.objects.count() == 1


def test_sms_language_follows_the_request_then_the_account():
    from tests.factories.accounts import make_parent

    parent = make_parent()
    parent.preferred_language = "kk"
    parent.save()
    phone = parent.person.phone
    post(Client(), "/otp/request", {"phone": phone})
    post(Client(), "/otp/request", {"phone": phone}, HTTP_ACCEPT_LANGUAGE="en")
    assert [m.language for m in OutboxMessage.objects.filter(recipient=phone).order_by("pk")] == ["kk", "en"]


def test_bad_phone_and_bad_body_are_problem_json():
    client = Client()
    bad = post(client, "/otp/request", {"phone": "12"})
    assert bad.status_code == 422 and bad["Content-Type"] == "application/problem+json"
    assert bad.json()["code"] == "invalid_phone" and bad.json()["detail"]
    missing = post(client, "/otp/request", {})
    assert missing.status_code == 422 and missing.json()["code"] == "validation_error"


def test_verify_signs_in_with_a_session_cookie_and_me_shows_the_parent():
    person = make_adult_person()
    client = parent_client(person)
    assert django_settings.SESSION_COOKIE_NAME in client.cookies
    me = client.get(f"{BASE}/me")
    assert me.status_code == 200
    assert me.json()["role"] == "parent" and me.json()["person_id"] == person.pk
    assert AuditEvent.objects.filter(action="accounts.session.start").count() == 1


def test_wrong_code_and_lock_are_problem_json_with_retry_after():
    person = make_adult_person()
    client = Client()
    post(client, "/otp/request", {"phone": person.phone})
    code = last_code(person.phone)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(4):
        response = post(client, "/otp/verify", {"phone": person.phone, "code": wrong})
        assert response.status_code == 422 and response.json()["code"] == "otp_invalid"
    fifth = post(client, "/otp/verify", {"phone": person.phone, "code": wrong})
    assert fifth.status_code == 429 and fifth.json()["code"] == "phone_locked"
    locked = post(client, "/otp/verify", {"phone": person.phone, "code": code})
    assert locked.status_code == 429 and locked.json()["code"] == "phone_locked"
    assert int(locked["Retry-After"]) > 0
    assert client.get(f"{BASE}/me").status_code == 401


def test_not_signed_in_gets_401_problem_json():
    client = Client()
    for response in (client.get(f"{BASE}/me"), client.get(f"{BASE}/sessions"), post(client, "/signout")):
        assert response.status_code == 401
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "unauthenticated"
    assert client.delete(f"{BASE}/sessions/1").status_code == 401


def test_staff_sign_in_and_generic_failure():
    officer = make_officer()
    client = Client()
    failed = post(client, "/staff/signin", {"username": officer.username, "password": "wrong"})
    unknown = post(client, "/staff/signin", {"username": "nobody", "password": "wrong"})
    assert failed.status_code == unknown.status_code == 422
    assert failed.json()["code"] == unknown.json()["code"] == "signin_failed"
    assert failed.json()["title"] == unknown.json()["title"]
    ok = post(client, "/staff/signin", {"username": officer.username, "password": STAFF_PASSWORD})
    assert ok.status_code == 200 and ok.json()["role"] == "officer" and ok.json()["district_id"] == officer.district_id
    assert client.get(f"{BASE}/me").json()["username"] == officer.username


def test_sessions_list_end_another_and_sign_out():
    person = make_adult_person()
    laptop = parent_client(person, user_agent="laptop")
    phone = parent_client(person, user_agent="phone")
    listed = laptop.get(f"{BASE}/sessions").json()
    assert [s["user_agent"] for s in listed] == ["phone", "laptop"]  # newest first
    assert [s["is_current"] for s in listed] == [False, True]

    # The laptop ends the phone's session: the phone is signed out on its next request.
    ended = laptop.delete(f"{BASE}/sessions/{listed[0]['id']}")
    assert ended.status_code == 204
    assert phone.get(f"{BASE}/me").status_code == 401
    assert [s["user_agent"] for s in laptop.get(f"{BASE}/sessions").json()] == ["laptop"]
    assert AuditEvent.objects.filter(action="accounts.session.end").count() == 1

    assert post(laptop, "/signout").status_code == 204
    assert laptop.get(f"{BASE}/me").status_code == 401
    assert not UserSession.objects.filter(ended_at__isnull=True).exists()


def test_nobody_can_end_someone_elses_session():
    mine, theirs = make_adult_person(), make_adult_person()
    me = parent_client(mine)
    them = parent_client(theirs)
    their_session = them.get(f"{BASE}/sessions").json()[0]["id"]
    response = me.delete(f"{BASE}/sessions/{their_session}")
    assert response.status_code == 404 and response.json()["code"] == "session_not_found"
    assert them.get(f"{BASE}/me").status_code == 200


def test_ended_session_row_logs_out_even_if_the_stored_session_survives():
    person = make_adult_person()
    client = parent_client(person)
    UserSession.objects.update(ended_at="2026-01-01T00:00:00Z")
    assert client.get(f"{BASE}/me").status_code == 401


def test_browser_requests_need_the_csrf_token_plain_clients_do_not():
    person = make_adult_person()
    plain = Client(enforce_csrf_checks=True)
    assert post(plain, "/otp/request", {"phone": person.phone}).status_code == 202

    browser = Client(enforce_csrf_checks=True)
    origin = {"HTTP_ORIGIN": "http://testserver"}
    refused = post(browser, "/otp/verify", {"phone": person.phone, "code": last_code(person.phone)}, **origin)
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
    token = browser.get(f"{BASE}/csrf").json()["csrf_token"]
    signed_in = post(
        browser, "/otp/verify", {"phone": person.phone, "code": last_code(person.phone)}, HTTP_X_CSRFTOKEN=token, **origin
    )
    assert signed_in.status_code == 200, signed_in.content

    # With the session cookie, unsafe calls need the token (rotated at sign-in); safe ones do not.
    assert browser.get(f"{BASE}/me").status_code == 200
    assert post(browser, "/signout").json()["code"] == "csrf_failed"
    token = browser.cookies[django_settings.CSRF_COOKIE_NAME].value
    assert post(browser, "/signout", HTTP_X_CSRFTOKEN=token).status_code == 204
