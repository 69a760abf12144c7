"""Staff sign-in, the account page with its sessions, sign-out, CSRF, and the admin's entrance."""

import pytest
from django.test import Client

from kezek.accounts.models import UserSession
from kezek.audit.models import AuditEvent
from tests.factories.accounts import STAFF_PASSWORD, make_officer, make_parent
from tests.integration.web.helpers import html

pytestmark = pytest.mark.django_db


def english_client(**kwargs) -> Client:
    client = Client(**kwargs)
    client.cookies["django_language"] = "en"
    return client


def back_office_officer():
    officer = make_officer()
    officer.is_staff = True
    officer.save()
    return officer


def staff_signin(client: Client, username: str, password: str = STAFF_PASSWORD, next_url: str = ""):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post("/staff/signin/", data)


def parent_client(user_agent: str = "Phone A") -> tuple[Client, object]:
    """A parent signed in through the real session start, as the sign-in page does."""
    from django.test import RequestFactory
    from django.contrib.sessions.backends.db import SessionStore

    from kezek.accounts.services import session_start

    user = make_parent()
    client = english_client(HTTP_USER_AGENT=user_agent)
    request = RequestFactory().get("/", HTTP_USER_AGENT=user_agent)
    request.session = SessionStore()
    session_start(request=request, user=user)
    request.session.save()
    client.cookies["sessionid"] = request.session.session_key
    return client, user


def test_officer_signs_in_and_lands_in_the_back_office():
    officer = back_office_officer()
    client = english_client()
    response = staff_signin(client, officer.username)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    admin = client.get("/admin/")
    assert admin.status_code == 200
    assert "Kezek back office" in html(admin)
    assert UserSession.objects.filter(user=officer, ended_at__isnull=True).count() == 1
    assert AuditEvent.objects.filter(action="accounts.signin.staff").exists()


def test_staff_without_back_office_lands_on_the_account_page():
    officer = make_officer()
    officer.is_staff = False
    officer.save(update_fields=["is_staff"])
    client = english_client()
    assert staff_signin(client, officer.username)["Location"] == "/account/"


def test_wrong_password_shows_the_generic_error():
    officer = back_office_officer()
    client = english_client()
    response = staff_signin(client, officer.username, "not-the-password")
    assert response.status_code == 200
    body = html(response)
    assert "The login or the password is wrong." in body and 'role="alert"' in body
    assert "The login or the password is wrong." in html(staff_signin(client, "nobody-like-this"))
    assert client.get("/admin/").status_code == 302


def test_staff_signin_is_rate_limited(settings):
    settings.KEZEK_STAFF_SIGNIN_ATTEMPTS_PER_15_MIN = 2
    officer = back_office_officer()
    client = english_client()
    for _ in range(2):
        staff_signin(client, officer.username, "wrong-password")
    response = staff_signin(client, officer.username)
    assert "Too many failed sign-in attempts." in html(response)
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize(
    "data", [{}, {"username": ""}, {"username": "x" * 100_000, "password": "y"}, {"username": "a", "password": "p" * 5000}]
)
def test_bad_staff_input_never_gives_a_500(data):
    response = english_client().post("/staff/signin/", data)
    assert response.status_code == 200
    assert 'role="alert"' in html(response)


def test_admin_login_goes_through_the_staff_signin_page():
    client = english_client()
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/staff/signin/?next=%2Fadmin%2F"
    officer = back_office_officer()
    assert staff_signin(client, officer.username, next_url="/admin/")["Location"] == "/admin/"


def test_next_must_stay_on_site():
    officer = back_office_officer()
    response = staff_signin(english_client(), officer.username, next_url="https://evil.example/admin/")
    assert response["Location"] == "/admin/"


def test_account_needs_sign_in():
    response = english_client().get("/account/")
    assert response.status_code == 302 and response["Location"].startswith("/signin/")


def test_account_lists_sessions_and_ends_another_one():
    phone_a, user = parent_client("Phone A")
    phone_b = english_client(HTTP_USER_AGENT="Tablet B")
    phone_b.cookies["sessionid"] = _second_session(user, "Tablet B")

    body = html(phone_a.get("/account/"))
    assert "Phone A" in body and "Tablet B" in body
    assert body.count("this device") == 1
    other = UserSession.objects.get(user=user, user_agent="Tablet B")
    assert f'action="/account/sessions/{other.pk}/end/"' in body
    current = UserSession.objects.get(user=user, user_agent="Phone A")
    assert f'action="/account/sessions/{current.pk}/end/"' not in body

    response = phone_a.post(f"/account/sessions/{other.pk}/end/", follow=True)
    assert response.status_code == 200
    assert "The session was ended." in html(response)
    other.refresh_from_db()
    assert other.ended_at is not None
    assert phone_b.get("/account/").status_code == 302  # that device is signed out
    assert phone_a.get("/account/").status_code == 200


def _second_session(user, user_agent: str) -> str:
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory

    from kezek.accounts.services import session_start

    request = RequestFactory().get("/", HTTP_USER_AGENT=user_agent)
    request.session = SessionStore()
    session_start(request=request, user=user)
    request.session.save()
    return request.session.session_key


def test_cannot_end_someone_elses_session():
    mine, _ = parent_client("Mine")
    _, stranger = parent_client("Theirs")
    theirs = UserSession.objects.get(user=stranger)
    response = mine.post(f"/account/sessions/{theirs.pk}/end/", follow=True)
    assert "There is no such session on your account." in html(response)
    theirs.refresh_from_db()
    assert theirs.ended_at is None


def test_session_end_is_post_only():
    client, user = parent_client()
    session = UserSession.objects.get(user=user)
    assert client.get(f"/account/sessions/{session.pk}/end/").status_code == 405


def test_sign_out_is_post_only_and_ends_the_session():
    client, user = parent_client()
    assert client.get("/signout/").status_code == 405
    assert client.get("/account/").status_code == 200
    response = client.post("/signout/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/account/").status_code == 302
    assert UserSession.objects.get(user=user).ended_at is not None


def test_sign_out_when_signed_out_just_goes_home():
    response = english_client().post("/signout/")
    assert response.status_code == 302 and response["Location"] == "/"


def test_admin_logout_signs_out_through_our_service():
    officer = back_office_officer()
    client = english_client()
    staff_signin(client, officer.username)
    assert client.get("/admin/logout/").status_code == 302
    assert client.get("/admin/").status_code == 200
    client.post("/admin/logout/")
    assert client.get("/admin/").status_code == 302
    assert UserSession.objects.get(user=officer).ended_at is not None


class TestCsrf:
    def test_forms_are_refused_without_the_token(self, sms_file):
        client = english_client(enforce_csrf_checks=True)
        for path, data in [
            ("/signin/", {"step": "phone", "phone": "+77011234567"}),
            ("/staff/signin/", {"username": "a", "password": "b"}),
            ("/signout/", {}),
            ("/i18n/setlang/", {"language": "kk"}),
        ]:
            response = client.post(path, data)
            assert response.status_code == 403, path
            assert "The form has expired" in html(response)

    def test_forms_work_with_the_token_from_the_page(self, sms_file):
        officer = back_office_officer()
        client = english_client(enforce_csrf_checks=True)
        client.get("/staff/signin/")
        token = client.cookies["csrftoken"].value
        response = client.post(
            "/staff/signin/", {"username": officer.username, "password": STAFF_PASSWORD, "csrfmiddlewaretoken": token}
        )
        assert response["Location"] == "/admin/"

    def test_htmx_requests_send_the_token_in_a_header(self, sms_file):
        client = english_client(enforce_csrf_checks=True)
        body = html(client.get("/signin/"))
        assert 'hx-headers=\'{"X-CSRFToken": "' in body
        token = client.cookies["csrftoken"].value
        response = client.post("/signin/", {"step": "phone", "phone": "+77011234567"}, HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=token)
        assert response.status_code == 200
