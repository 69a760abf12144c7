import datetime as dt
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from kezek.accounts import services
from kezek.accounts.errors import InvalidPhone, OtpInvalid, PhoneLocked, SendLimitReached
from kezek.accounts.models import OtpChallenge, PhoneLock, Role, User
from kezek.audit.models import AuditEvent
from kezek.notifications.models import OutboxMessage
from tests.factories.accounts import make_adult_person, make_parent, unique_kz_mobile
from tests.integration.accounts.helpers import last_code, sms_to

pytestmark = pytest.mark.django_db
IP = "203.0.113.7"


def request_code(phone: str, ip: str = IP, language: str = "ru") -> str:
    services.otp_request(phone=phone, ip=ip, language=language)
    return last_code(phone)


def test_code_is_six_digits_sent_by_sms_and_stored_only_as_a_hash():
    person = make_adult_person()
    code = request_code(person.phone)
    assert re.fullmatch(r"[0-9]{6}", code)
    [message] = sms_to(person.phone)
    assert message.template == "signin_code" and message.language == "ru"
    challenge = OtpChallenge.objects.get(phone=person.phone)
    assert message.idempotency_key == f"otp:{challenge.pk}"
    assert code not in challenge.code_hash
    # Nowhere in the accounts table does the code appear in clear.
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, code_hash FROM accounts_otpchallenge")
        assert all(code not in str(col) for row in cursor.fetchall() for col in row)
    assert timedelta(minutes=4, seconds=59) <= challenge.expires_at - challenge.created_at <= timedelta(minutes=5)


def test_phone_typed_nationally_reaches_the_same_person():
    person = make_adult_person(phone="+77017654321")
    services.otp_request(phone="8 (701) 765-43-21", ip=IP, language="kk")
    assert sms_to("+77017654321")[0].language == "kk"
    user = services.otp_verify(phone="87017654321", code=last_code("+77017654321"), ip=IP)
    assert user.person == person


def test_invalid_phone_is_refused_with_a_hint_and_nothing_is_stored():
    with pytest.raises(InvalidPhone) as exc:
        services.otp_request(phone="+7 727 250 1234", ip=IP, language="ru")
    assert exc.value.code == "invalid_phone" and exc.value.hint
    assert not OtpChallenge.objects.exists()


def test_right_code_signs_in_a_parent_bound_to_the_registry_person():
    person = make_adult_person()
    code = request_code(person.phone)
    user = services.otp_verify(phone=person.phone, code=code, ip=IP)
    assert (user.username, user.role, user.person_id, user.display_name) == (
        person.phone, Role.PARENT, person.pk, person.full_name
    )
    assert not user.has_usable_password()
    assert AuditEvent.objects.filter(action="accounts.signin.parent", object_id=str(user.pk)).exists()
    # The next sign-in finds the same account.
    again = services.otp_verify(phone=person.phone, code=request_code(person.phone), ip=IP)
    assert again.pk == user.pk and User.objects.filter(person=person).count() == 1


def test_code_is_single_use():
    person = make_adult_person()
    code = request_code(person.phone)
    services.otp_verify(phone=person.phone, code=code, ip=IP)
    with pytest.raises(OtpInvalid):
        services.otp_verify(phone=person.phone, code=code, ip=IP)


def test_code_dies_after_five_minutes():
    person = make_adult_person()
    code = request_code(person.phone)
    # Move the challenge five minutes into the past instead of sleeping.
    past = timezone.now() - timedelta(minutes=5, seconds=1)
    OtpChallenge.objects.filter(phone=person.phone).update(created_at=past, expires_at=past + timedelta(minutes=5))
    with pytest.raises(OtpInvalid) as exc:
        services.otp_verify(phone=person.phone, code=code, ip=IP)
    assert exc.value.message == "The code is wrong or has expired."


def test_code_still_works_just_before_expiry():
    person = make_adult_person()
    code = request_code(person.phone)
    OtpChallenge.objects.filter(phone=person.phone).update(
        created_at=timezone.now() - timedelta(minutes=4, seconds=50), expires_at=timezone.now() + timedelta(seconds=10)
    )
    assert services.otp_verify(phone=person.phone, code=code, ip=IP).person_id == person.pk


def test_new_code_retires_the_older_one():
    person = make_adult_person()
    first = request_code(person.phone)
    second = request_code(person.phone)
    if first != second:
        with pytest.raises(OtpInvalid):
            services.otp_verify(phone=person.phone, code=first, ip=IP)
    assert services.otp_verify(phone=person.phone, code=second, ip=IP).person_id == person.pk


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_five_wrong_codes_lock_the_phone_even_for_the_right_code_until_the_lock_ends(settings):
    person = make_adult_person()
    code = request_code(person.phone)
    for _ in range(4):
        with pytest.raises(OtpInvalid):
            services.otp_verify(phone=person.phone, code=wrong(code), ip=IP)
    # The failures were committed although each attempt raised.
    assert PhoneLock.objects.get(phone=person.phone).failures == 4
    with pytest.raises(PhoneLocked) as fifth:
        services.otp_verify(phone=person.phone, code=wrong(code), ip=IP)
    assert fifth.value.retry_after == settings.KEZEK_OTP_LOCK_SECONDS
    lock = PhoneLock.objects.get(phone=person.phone)
    assert lock.locked_until > timezone.now() + timedelta(minutes=14)
    assert AuditEvent.objects.filter(action="accounts.phone.locked").count() == 1

    with pytest.raises(PhoneLocked) as sixth:
        services.otp_verify(phone=person.phone, code=code, ip=IP)
    assert sixth.value.code == "phone_locked" and 0 < sixth.value.retry_after <= 15 * 60
    with pytest.raises(PhoneLocked):
        services.otp_request(phone=person.phone, ip=IP, language="ru")
    assert not User.objects.filter(person=person).exists()

    PhoneLock.objects.filter(phone=person.phone).update(locked_until=timezone.now() - timedelta(seconds=1))
    user = services.otp_verify(phone=person.phone, code=code, ip=IP)
    assert user.person_id == person.pk
    assert PhoneLock.objects.get(phone=person.phone).failures == 0


def test_unknown_phone_gets_the_same_answer_and_no_sms():
    unknown = unique_kz_mobile()
    assert services.otp_request(phone=unknown, ip=IP, language="ru") is None
    assert not OutboxMessage.objects.filter(recipient=unknown).exists()
    with pytest.raises(OtpInvalid) as exc:
        services.otp_verify(phone=unknown, code="123456", ip=IP)
    assert exc.value.code == "otp_invalid"
    # Unknown phones lock out exactly like registered ones, so the lock reveals nothing either.
    for _ in range(3):
        with pytest.raises(OtpInvalid):
            services.otp_verify(phone=unknown, code="123456", ip=IP)
    with pytest.raises(PhoneLocked):
        services.otp_verify(phone=unknown, code="123456", ip=IP)


def test_a_child_with_a_phone_cannot_sign_in():
    child = make_adult_person(birth_date=timezone.localdate().replace(year=timezone.localdate().year - 15) - dt.timedelta(days=1))
    services.otp_request(phone=child.phone, ip=IP, language="ru")
    assert not sms_to(child.phone)


def test_existing_account_language_is_used_when_the_request_has_none():
    parent = make_parent()
    parent.preferred_language = "kk"
    parent.save()
    services.otp_request(phone=parent.person.phone, ip=IP, language="")
    [message] = sms_to(parent.person.phone)
    assert message.language == "kk" and message.user_id == parent.pk
    assert services.otp_verify(phone=parent.person.phone, code=last_code(parent.person.phone), ip=IP).pk == parent.pk


def test_blocked_parent_is_told_after_the_right_code():
    parent = make_parent()
    parent.is_active = False
    parent.save()
    code = request_code(parent.person.phone)
    with pytest.raises(Exception) as exc:
        services.otp_verify(phone=parent.person.phone, code=code, ip=IP)
    assert getattr(exc.value, "code", "") == "account_blocked"


def test_sends_per_phone_are_limited(settings):
    settings.KEZEK_OTP_SENDS_PER_PHONE_PER_HOUR = 3
    person = make_adult_person()
    for _ in range(3):
        services.otp_request(phone=person.phone, ip=IP, language="ru")
    with pytest.raises(SendLimitReached) as exc:
        services.otp_request(phone=person.phone, ip="198.51.100.1", language="ru")
    assert 0 < exc.value.retry_after <= 3600
    assert len(sms_to(person.phone)) == 3
    # Another phone from the same address is not affected.
    other = make_adult_person()
    services.otp_request(phone=other.phone, ip=IP, language="ru")
    assert len(sms_to(other.phone)) == 1


def test_sends_per_ip_are_limited(settings):
    settings.KEZEK_OTP_SENDS_PER_IP_PER_HOUR = 2
    people = [make_adult_person() for _ in range(3)]
    services.otp_request(phone=people[0].phone, ip=IP, language="ru")
    services.otp_request(phone=people[1].phone, ip=IP, language="ru")
    with pytest.raises(SendLimitReached):
        services.otp_request(phone=people[2].phone, ip=IP, language="ru")
    assert not sms_to(people[2].phone)
    services.otp_request(phone=people[2].phone, ip="198.51.100.2", language="ru")
    assert len(sms_to(people[2].phone)) == 1


@pytest.fixture
def redis_db15(settings):
    import redis

    settings.REDIS_URL = "redis://127.0.0.1:6379/15"
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        client.flushdb()
    except redis.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    yield client
    client.flushdb()


def test_rate_limits_work_with_redis(settings, redis_db15):
    from kezek.core.models import RateCounter

    settings.KEZEK_OTP_SENDS_PER_PHONE_PER_HOUR = 2
    person = make_adult_person()
    services.otp_request(phone=person.phone, ip=IP, language="ru")
    services.otp_request(phone=person.phone, ip=IP, language="ru")
    with pytest.raises(SendLimitReached):
        services.otp_request(phone=person.phone, ip=IP, language="ru")
    assert len(sms_to(person.phone)) == 2
    assert not RateCounter.objects.exists()  # the counters lived in Redis
    assert any(b"otp:send:phone" in key for key in redis_db15.keys("kezek:rl:*"))


def test_staff_member_in_the_registry_must_use_the_password():
    from tests.factories.accounts import make_officer

    officer = make_officer()
    person = make_adult_person()
    officer.person = person
    officer.save()
    code = request_code(person.phone)
    with pytest.raises(Exception) as exc:
        services.otp_verify(phone=person.phone, code=code, ip=IP)
    assert getattr(exc.value, "code", "") == "password_required"


def test_phone_of_an_old_account_does_not_block_the_new_holder():
    previous = make_parent()
    phone = previous.username
    previous.person.phone = ""
    previous.person.save()
    newcomer = make_adult_person(phone=phone)
    user = services.otp_verify(phone=phone, code=request_code(phone), ip=IP)
    assert user.person_id == newcomer.pk and user.pk != previous.pk
    assert user.username == f"iin{newcomer.iin}"


def test_a_mistyped_code_length_costs_no_attempt():
    person = make_adult_person()
    code = request_code(person.phone)
    for typo in ("12345", "1234567", "abcdef", ""):
        with pytest.raises(Exception) as exc:
            services.otp_verify(phone=person.phone, code=typo, ip=IP)
        assert getattr(exc.value, "code", "") == "otp_malformed"
    assert not PhoneLock.objects.filter(phone=person.phone, failures__gt=0).exists()
    assert services.otp_verify(phone=person.phone, code=f"{code[:3]} {code[3:]}", ip=IP).person_id == person.pk
