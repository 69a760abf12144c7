import re

from kezek.domain import otp

KEY = "server-secret"
PHONE = "+77011234567"


def test_new_code_is_six_random_digits():
    codes = {otp.code_new() for _ in range(200)}
    assert all(re.fullmatch(r"[0-9]{6}", c) for c in codes)
    assert len(codes) > 150  # random, not a counter or a constant


def test_hash_does_not_contain_the_code_and_is_salted():
    first = otp.code_hash(code="123456", phone=PHONE, key=KEY)
    second = otp.code_hash(code="123456", phone=PHONE, key=KEY)
    assert "123456" not in first.split("$", 2)[2]
    assert first != second
    assert first.startswith("hmac-sha256$")


def test_right_code_matches_and_typing_spaces_is_forgiven():
    stored = otp.code_hash(code="042917", phone=PHONE, key=KEY)
    assert otp.code_matches(code="042917", phone=PHONE, key=KEY, stored=stored)
    assert otp.code_matches(code=" 042 917 ", phone=PHONE, key=KEY, stored=stored)
    assert otp.code_matches(code="042-917", phone=PHONE, key=KEY, stored=stored)


def test_wrong_code_other_phone_or_other_key_do_not_match():
    stored = otp.code_hash(code="042917", phone=PHONE, key=KEY)
    assert not otp.code_matches(code="042918", phone=PHONE, key=KEY, stored=stored)
    assert not otp.code_matches(code="042917", phone="+77011234568", key=KEY, stored=stored)
    assert not otp.code_matches(code="042917", phone=PHONE, key="other", stored=stored)
    assert not otp.code_matches(code="", phone=PHONE, key=KEY, stored=stored)


def test_malformed_stored_value_never_matches():
    assert not otp.code_matches(code="123456", phone=PHONE, key=KEY, stored="")
    assert not otp.code_matches(code="123456", phone=PHONE, key=KEY, stored="md5$salt$abc")
    assert not otp.code_matches(code="123456", phone=PHONE, key=KEY, stored="hmac-sha256$only-two")


def test_clean_handles_none():
    assert otp.code_clean(None) == ""


def test_fifth_wrong_code_locks_and_restarts_the_count():
    failures, locked = 0, False
    for _ in range(4):
        failures, locked = otp.failures_after_wrong_code(failures=failures, max_attempts=5)
        assert not locked
    assert failures == 4
    assert otp.failures_after_wrong_code(failures=failures, max_attempts=5) == (0, True)


def test_well_formed_codes_are_six_ascii_digits():
    assert otp.code_is_well_formed(" 012 345 ")
    assert not otp.code_is_well_formed("12345")
    assert not otp.code_is_well_formed("1234567")
    assert not otp.code_is_well_formed("12a456")
    assert not otp.code_is_well_formed("١٢٣٤٥٦")  # Arabic-Indic digits
