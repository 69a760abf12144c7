import pytest

from kezek.domain.phones import InvalidPhone, mask_phone, normalise_kz_mobile


@pytest.mark.parametrize(
    "typed",
    ["+77011234567", "87011234567", "8 (701) 123-45-67", "7011234567", "+7 701 123 45 67", " 77011234567 "],
)
def test_usual_ways_of_typing_a_kz_mobile_give_e164(typed):
    assert normalise_kz_mobile(typed) == "+77011234567"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        None,
        "abc",
        "+7701123456",  # one digit short
        "+79161234567",  # Russian mobile: same country code, another country
        "+7 727 250 1234",  # Almaty landline: cannot receive SMS
        "+998901234567",  # Uzbekistan
    ],
)
def test_anything_else_is_refused_with_a_hint(typed):
    with pytest.raises(InvalidPhone) as exc:
        normalise_kz_mobile(typed)
    assert exc.value.code == "invalid_phone"
    assert "+7 701" in exc.value.hint


def test_mask_hides_the_middle_digits():
    assert mask_phone("+77011234567") == "+7 701 *** ** 67"
    assert mask_phone("+7") == "**"


@pytest.mark.parametrize(("typed", "reason"), [("abc", "unparseable"), ("+79161234567", "not_kz"), ("+77091234567", "not_mobile")])
def test_the_reason_is_machine_readable(typed, reason):
    with pytest.raises(InvalidPhone) as exc:
        normalise_kz_mobile(typed)
    assert exc.value.params == {"reason": reason}


def test_e164_input_takes_the_fast_path_with_the_same_answer():
    assert normalise_kz_mobile("+77471234567") == "+77471234567"
    assert normalise_kz_mobile("8 (747) 123-45-67") == "+77471234567"
