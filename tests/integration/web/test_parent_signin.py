"""Parent sign-in through the pages: phone, the code from the SMS, the account page."""

import re

import pytest
from django.test import Client

from kezek.accounts.models import OtpChallenge, UserSession
from tests.factories.accounts import make_adult_person, unique_kz_mobile
from tests.integration.web.helpers import ask_code, code_sent_to, deliver_sms, enter_code, html

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
TOKEN = re.compile(r'(name="csrfmiddlewaretoken" value="|X-CSRFToken": "|nonce=")[^"]+')
SENT = "If this number is registered, we have sent a 6-digit code to it by SMS."


def english_client() -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    return client


def test_parent_signs_in_without_javascript(sms_file):
    person = make_adult_person()
    client = english_client()

    response = ask_code(client, person.phone)
    assert response.status_code == 302 and response["Location"] == "/signin/?step=code"
    step_two = client.get(response["Location"])
    assert SENT in html(step_two)
    assert 'autocomplete="one-time-code"' in html(step_two) and 'inputmode="numeric"' in html(step_two)

    response = enter_code(client, code_sent_to(sms_file, person.phone))
    assert response.status_code == 302 and response["Location"] == "/account/"
    account = client.get("/account/")
    assert account.status_code == 200
    body = html(account)
    assert person.full_name in body
    assert f"{person.iin[:4]}******{person.iin[-2:]}" in body and person.iin not in body
    assert "this device" in body
    assert UserSession.objects.filter(user__person=person, ended_at__isnull=True).count() == 1


def test_parent_signs_in_with_htmx_fragments(sms_file):
    person = make_adult_person()
    client = english_client()

    response = ask_code(client, person.phone, **HTMX)
    assert response.status_code == 200
    fragment = html(response)
    assert fragment.lstrip().startswith('<div id="signin-step"') and "<html" not in fragment
    assert SENT in fragment and 'hx-post="/signin/"' in fragment
    assert "HX-Request" in response["Vary"]

    response = enter_code(client, code_sent_to(sms_file, person.phone), **HTMX)
    assert response["HX-Redirect"] == "/account/"
    assert client.get("/account/").status_code == 200


def test_unregistered_phone_gets_the_same_message_and_no_sms(sms_file):
    known, unknown = make_adult_person(), unique_kz_mobile()
    answers = []
    for phone in (known.phone, unknown):
        for extra in ({}, HTMX):
            response = ask_code(english_client(), phone, follow=True, **extra)
            answers.append((response.status_code, TOKEN.sub("", html(response))))
    assert SENT in answers[0][1]
    assert answers[0] == answers[2] and answers[1] == answers[3]
    sent_to = {m["to"] for m in deliver_sms(sms_file)}
    assert known.phone in sent_to and unknown not in sent_to


def test_wrong_code_shows_the_error_text_and_does_not_sign_in(sms_file):
    person = make_adult_person()
    client = english_client()
    ask_code(client, person.phone)
    right = code_sent_to(sms_file, person.phone)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"

    response = enter_code(client, wrong)
    assert response.status_code == 200
    body = html(response)
    assert "The code is wrong or has expired." in body
    assert "Check the last SMS from Kezek" in body
    assert 'role="alert"' in body and 'aria-invalid="true"' in body and 'aria-describedby="id_code_helptext id_code_error"' in body
    assert client.get("/account/").status_code == 302

    # The right code still works afterwards.
    assert enter_code(client, right)["Location"] == "/account/"


def test_wrong_code_error_is_translated(sms_file):
    person = make_adult_person()
    client = Client()
    client.cookies["django_language"] = "kk"
    ask_code(client, person.phone)
    code_sent_to(sms_file, person.phone)
    body = html(enter_code(client, "000000" if code_sent_to(sms_file, person.phone) != "000000" else "111111"))
    assert "Код қате немесе оның мерзімі өтіп кеткен." in body


def test_invalid_phone_is_a_form_error_and_nothing_is_stored(sms_file):
    client = english_client()
    response = ask_code(client, "+1 202 555 0143")
    assert response.status_code == 200
    body = html(response)
    assert "Kazakhstan mobile" in body and 'role="alert"' in body
    assert not OtpChallenge.objects.exists()


@pytest.mark.parametrize(
    "phone", ["", "   ", "abc", "7" * 5000, "+7 (701) <script>", "\x00\x01", "٠١٢٣٤٥٦٧٨٩٠"]
)
def test_bad_phone_input_never_gives_a_500(phone, sms_file):
    response = ask_code(english_client(), phone)
    assert response.status_code == 200
    assert 'role="alert"' in html(response)
    assert not OtpChallenge.objects.exists()


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "9" * 10000, "12 34 5x", "１２３４５６"])
def test_bad_code_input_never_gives_a_500(code, sms_file):
    person = make_adult_person()
    client = english_client()
    ask_code(client, person.phone)
    response = enter_code(client, code)
    assert response.status_code == 200
    assert 'role="alert"' in html(response)
    assert client.get("/account/").status_code == 302


def test_code_pasted_with_a_space_is_accepted(sms_file):
    person = make_adult_person()
    client = english_client()
    ask_code(client, person.phone)
    code = code_sent_to(sms_file, person.phone)
    assert enter_code(client, f"{code[:3]} {code[3:]}")["Location"] == "/account/"


def test_code_without_a_phone_step_starts_again():
    response = enter_code(english_client(), "123456")
    assert response.status_code == 200
    assert "Your sign-in has expired." in html(response)
    assert 'name="phone"' in html(response)


def test_resend_sends_a_new_code_and_only_the_newest_works(sms_file):
    person = make_adult_person()
    client = english_client()
    ask_code(client, person.phone)
    first = code_sent_to(sms_file, person.phone)
    response = client.post("/signin/", {"step": "resend"})
    assert SENT in html(response)
    second = code_sent_to(sms_file, person.phone)
    if first != second:
        assert "The code is wrong" in html(enter_code(client, first))
    assert enter_code(client, second)["Location"] == "/account/"


def test_too_many_codes_shows_the_rate_limit_text(settings, sms_file):
    settings.KEZEK_OTP_SENDS_PER_PHONE_PER_HOUR = 1
    person = make_adult_person()
    client = english_client()
    ask_code(client, person.phone)
    response = ask_code(client, person.phone)
    assert response.status_code == 200
    assert "Too many codes were asked for." in html(response)


def test_use_another_number_forgets_the_phone(sms_file):
    client = english_client()
    ask_code(client, make_adult_person().phone)
    page = html(client.get("/signin/?step=phone"))
    assert 'name="phone"' in page and 'name="code"' not in page
    assert "Your sign-in has expired." in html(enter_code(client, "123456"))


def test_signed_in_parent_opening_signin_goes_to_account(sms_file):
    person = make_adult_person()
    client = english_client()
    ask_code(client, person.phone)
    enter_code(client, code_sent_to(sms_file, person.phone))
    assert client.get("/signin/")["Location"] == "/account/"


def test_code_sms_is_in_the_page_language(sms_file):
    person = make_adult_person()
    client = Client()
    client.cookies["django_language"] = "kk"
    ask_code(client, person.phone)
    texts = [m["text"] for m in deliver_sms(sms_file) if m["to"] == person.phone]
    assert texts and texts[-1].startswith("Kezek-ке кіру коды:")


def test_sign_in_returns_to_the_page_the_parent_came_for(sms_file):
    person = make_adult_person()
    client = english_client()
    assert client.get("/signin/?next=/kindergarten/apply/").status_code == 200
    ask_code(client, person.phone)
    response = enter_code(client, code_sent_to(sms_file, person.phone))
    assert response["Location"] == "/kindergarten/apply/"


def test_next_pointing_to_another_site_is_ignored(sms_file):
    person = make_adult_person()
    client = english_client()
    client.get("/signin/?next=https://evil.example/steal")
    ask_code(client, person.phone)
    assert enter_code(client, code_sent_to(sms_file, person.phone))["Location"] == "/account/"
