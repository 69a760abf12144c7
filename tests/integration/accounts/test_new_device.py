"""A parent is told by SMS when their account is signed in from a device it never used."""

import pytest
from django.test import Client

from kezek.notifications.models import OutboxMessage
from tests.factories.accounts import STAFF_PASSWORD, make_adult_person, make_officer
from tests.integration.accounts.helpers import last_code

pytestmark = pytest.mark.django_db

PHONE_CHROME = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
LAPTOP_FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
HOME, HOME_LATER, ELSEWHERE = "203.0.113.7", "203.0.113.99", "198.51.100.20"


def sign_in(phone: str, *, user_agent: str, ip: str) -> Client:
    client = Client(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=ip)
    client.post("/api/v1/auth/otp/request", {"phone": phone}, content_type="application/json")
    response = client.post("/api/v1/auth/otp/verify", {"phone": phone, "code": last_code(phone)}, content_type="application/json")
    assert response.status_code == 200, response.content
    return client


def notices(phone: str) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(recipient=phone, template="signin_new_device").order_by("pk"))


def test_first_sign_in_and_the_same_device_on_a_nearby_address_send_nothing():
    person = make_adult_person()
    sign_in(person.phone, user_agent=PHONE_CHROME, ip=HOME)
    sign_in(person.phone, user_agent=PHONE_CHROME.replace("126.0", "127.0"), ip=HOME_LATER)
    assert notices(person.phone) == []


def test_another_browser_or_network_is_notified_once_by_sms_naming_the_device():
    person = make_adult_person()
    sign_in(person.phone, user_agent=PHONE_CHROME, ip=HOME)
    sign_in(person.phone, user_agent=LAPTOP_FIREFOX, ip=HOME)
    [notice] = notices(person.phone)
    assert notice.channel == "sms" and notice.language == "ru"
    assert "Firefox, Windows" in notice.body and "Mozilla" not in notice.body
    sign_in(person.phone, user_agent=LAPTOP_FIREFOX, ip=HOME)  # known now
    assert len(notices(person.phone)) == 1
    sign_in(person.phone, user_agent=PHONE_CHROME, ip=ELSEWHERE)
    assert len(notices(person.phone)) == 2


def test_notice_is_in_the_parents_language(settings):
    person = make_adult_person()
    sign_in(person.phone, user_agent=PHONE_CHROME, ip=HOME)
    person.account.preferred_language = "en"
    person.account.save(update_fields=["preferred_language"])
    sign_in(person.phone, user_agent=PHONE_CHROME, ip=ELSEWHERE)
    [notice] = notices(person.phone)
    assert notice.language == "en" and "new device (Chrome, Android)" in notice.body


def test_staff_have_no_phone_to_notify_and_sign_in_as_before():
    officer = make_officer()
    for ip in (HOME, ELSEWHERE):
        client = Client(HTTP_USER_AGENT=LAPTOP_FIREFOX, REMOTE_ADDR=ip)
        response = client.post(
            "/api/v1/auth/staff/signin", {"username": officer.username, "password": STAFF_PASSWORD},
            content_type="application/json",
        )
        assert response.status_code == 200
    assert not OutboxMessage.objects.filter(template="signin_new_device").exists()
