import datetime as dt

import pytest

from kezek.domain.registry_records import (
    Benefit,
    PersonRecord,
    Reason,
    Representative,
    csv_row_from_raw,
    raw_from_csv_row,
    validate_extract,
    validate_record,
)

TODAY = dt.date(2026, 11, 23)
BOY = "190523501236"  # 23 May 2019, male
MOTHER = "880701401235"  # 1 Jul 1988, female
GIRL = "210301600455"  # 1 Mar 2021, female


def raw(**overrides):
    record = {
        "iin": BOY,
        "last_name": "Ахметов",
        "first_name": "Нұрсұлтан",
        "patronymic": "Нұрланұлы",
        "birth_date": "2019-05-23",
        "sex": "M",
        "phone": "",
        "district": "astana-yesil",
        "representatives": [{"iin": MOTHER, "kind": "parent"}],
        "benefits": ["large_family", {"kind": "teacher", "valid_from": "2026-01-01", "valid_to": "2026-12-31"}],
    }
    record.update(overrides)
    return record


def codes(result):
    assert isinstance(result, list)
    return {(r.field, r.code, r.detail) for r in result}


def test_a_valid_record_becomes_a_clean_value():
    record = validate_record(raw(), today=TODAY, district_codes={"astana-yesil"})
    assert record == PersonRecord(
        iin=BOY,
        last_name="Ахметов",
        first_name="Нұрсұлтан",
        patronymic="Нұрланұлы",
        birth_date=dt.date(2019, 5, 23),
        sex="M",
        phone="",
        district_code="astana-yesil",
        representatives=(Representative(MOTHER, "parent"),),
        benefits=(Benefit("large_family"), Benefit("teacher", dt.date(2026, 1, 1), dt.date(2026, 12, 31))),
    )


def test_birth_date_and_sex_are_optional_and_taken_from_the_iin():
    record = validate_record(
        {"iin": f" {MOTHER} ", "last_name": "Ахметова", "first_name": "Айгүл", "phone": "8 701 234 56 78"}, today=TODAY
    )
    assert (record.birth_date, record.sex, record.phone, record.patronymic) == (dt.date(1988, 7, 1), "F", "+77012345678", "")
    assert (record.representatives, record.benefits, record.district_code) == ((), (), "")


def test_not_a_mapping_is_rejected():
    assert validate_record(["x"], today=TODAY) == [Reason("record", "not_an_object")]


@pytest.mark.parametrize(
    ("iin", "detail"),
    [("19052350123", "length"), ("19052350123x", "non_digit"), ("190523901236", "century_digit"),
     ("191323501236", "impossible_date"), ("190523501237", "check_digit")],
)
def test_invalid_iin_reports_its_reason(iin, detail):
    assert ("iin", "invalid_iin", detail) in codes(validate_record(raw(iin=iin), today=TODAY))


@pytest.mark.parametrize("iin", [None, "", 190523501236])
def test_missing_iin(iin):
    assert ("iin", "missing", "") in codes(validate_record(raw(iin=iin), today=TODAY))


def test_birth_date_and_sex_must_agree_with_the_iin():
    result = codes(validate_record(raw(birth_date="2019-05-24", sex="F"), today=TODAY))
    assert {("birth_date", "birth_date_mismatch", "2019-05-23"), ("sex", "sex_mismatch", "M")} <= result


def test_unreadable_birth_date_and_sex():
    result = codes(validate_record(raw(birth_date="23.05.2019", sex="boy"), today=TODAY))
    assert {("birth_date", "invalid_date", ""), ("sex", "invalid_sex", "")} <= result


def test_birth_date_and_sex_without_a_valid_iin_are_not_compared():
    result = codes(validate_record(raw(iin="x", birth_date="2019-05-24", sex="F"), today=TODAY))
    assert {c for _, c, _ in result} == {"invalid_iin"}


def test_names_are_required_text_of_bounded_length():
    result = codes(validate_record(raw(last_name="  ", first_name=None, patronymic="я" * 101, district=5), today=TODAY))
    assert {("last_name", "missing", ""), ("first_name", "missing", ""), ("patronymic", "too_long", "100"),
            ("district", "not_text", "")} <= result


@pytest.mark.parametrize(
    ("phone", "detail"), [("abc", "unparseable"), ("+79161234567", "not_kz"), ("+77172123456", "not_mobile")]
)
def test_phone_must_be_a_kazakhstan_mobile(phone, detail):
    assert ("phone", "invalid_phone", detail) in codes(validate_record(raw(phone=phone), today=TODAY))


def test_phone_must_be_text():
    assert ("phone", "not_text", "") in codes(validate_record(raw(phone=7701), today=TODAY))


def test_unknown_district_only_when_the_known_codes_are_given():
    assert ("district", "unknown_district", "nowhere") in codes(
        validate_record(raw(district="nowhere"), today=TODAY, district_codes={"astana-yesil"})
    )
    assert isinstance(validate_record(raw(district="nowhere"), today=TODAY), PersonRecord)


def test_unknown_fields_are_rejected():
    assert ("nmae", "unknown_field", "") in codes(validate_record(raw(nmae="x"), today=TODAY))


def test_representatives_must_be_adults_other_than_the_person():
    reps = [
        {"iin": BOY},
        {"iin": GIRL, "kind": "parent"},
        {"iin": MOTHER, "kind": "aunt"},
        {"iin": "123"},
        "not an object",
        {"iin": MOTHER, "kind": "guardian"},
        {"iin": MOTHER, "kind": "guardian"},
    ]
    result = codes(validate_record(raw(representatives=reps), today=TODAY))
    assert result == {
        ("representatives[0].iin", "represents_self", ""),
        ("representatives[1].iin", "representative_not_adult", "5"),
        ("representatives[2].kind", "unknown_representation_kind", "aunt"),
        ("representatives[3].iin", "invalid_iin", "length"),
        ("representatives[4]", "not_an_object", ""),
        ("representatives[5].iin", "duplicate_representative", MOTHER),
        ("representatives[6].iin", "duplicate_representative", MOTHER),
    }


def test_representative_of_a_person_with_an_invalid_iin_is_still_checked():
    result = codes(validate_record(raw(iin="1", representatives=[{"iin": GIRL}]), today=TODAY))
    assert ("representatives[0].iin", "representative_not_adult", "5") in result


def test_lists_must_be_lists():
    result = codes(validate_record(raw(representatives="x", benefits={"kind": "teacher"}), today=TODAY))
    assert result == {("representatives", "not_a_list", ""), ("benefits", "not_a_list", "")}


def test_benefits_are_known_kinds_with_valid_periods():
    benefits = [
        "flying",
        7,
        {"kind": "orphan", "valid_from": "2026-02-01", "valid_to": "2026-01-01"},
        {"kind": "teacher", "valid_from": "soon"},
        "large_family",
        {"kind": "large_family", "valid_to": ""},
    ]
    result = codes(validate_record(raw(benefits=benefits), today=TODAY))
    assert result == {
        ("benefits[0].kind", "unknown_benefit_kind", "flying"),
        ("benefits[1]", "not_an_object", ""),
        ("benefits[2]", "empty_period", ""),
        ("benefits[3].valid_from", "invalid_date", ""),
        ("benefits[5].kind", "duplicate_benefit", "large_family"),
    }


def test_reason_text():
    assert str(Reason("iin", "invalid_iin", "length")) == "iin: invalid_iin (length)"
    assert str(Reason("last_name", "missing")) == "last_name: missing"


def mother(**overrides):
    return raw(iin=MOTHER, last_name="Ахметова", first_name="Айгүл", patronymic="", birth_date="", sex="",
               phone="+77011234567", representatives=[], benefits=[]) | overrides


def test_extract_accepts_representatives_from_the_file_or_already_known():
    result = validate_extract([(1, mother()), (2, raw())], today=TODAY)
    assert [r.iin for r in result.records] == [MOTHER, BOY] and result.rejected == []
    known = validate_extract([(1, raw())], today=TODAY, existing_iins=lambda iins: iins & {MOTHER})
    assert [r.iin for r in known.records] == [BOY]


def test_extract_rejects_unknown_representatives_and_duplicates():
    girl = raw(iin=GIRL, birth_date="", sex="", representatives=[{"iin": "900101300017"}], benefits=[])
    rows = [(2, mother()), (3, mother(first_name="Гүлнар")), (4, raw()), (5, girl), (6, 42)]
    result = validate_extract(rows, today=TODAY, existing_iins=lambda iins: set())
    reasons = {(r.line, r.iin): {(x.field, x.code) for x in r.reasons} for r in result.rejected}
    assert reasons == {
        (2, MOTHER): {("iin", "duplicate_iin"), ("phone", "duplicate_phone")},
        (3, MOTHER): {("iin", "duplicate_iin"), ("phone", "duplicate_phone")},
        (5, GIRL): {("representatives[0].iin", "unknown_representative")},
        (6, ""): {("record", "not_an_object")},
    }
    # The boy's mother is a record of the file, so he is not rejected for her (her rows are).
    assert [r.iin for r in result.records] == [BOY]


def test_extract_rejects_a_phone_held_by_someone_outside_the_file():
    holders = {"+77011234567": "900101300017"}
    result = validate_extract([(1, mother())], today=TODAY, phone_holders=lambda phones: holders)
    assert [(r.line, r.reasons) for r in result.rejected] == [(1, (Reason("phone", "phone_taken", "900101300017"),))]
    moved = validate_extract([(1, mother())], today=TODAY, phone_holders=lambda phones: {"+77011234567": MOTHER})
    assert moved.rejected == []


def test_csv_rows_round_trip_to_the_json_shape():
    row = {"iin": BOY, "last_name": "Ахметов", "first_name": "Нұрсұлтан", "patronymic": None, "birth_date": "",
           "sex": "", "phone": "", "district": "astana-yesil",
           "representatives": f"{MOTHER}:guardian; 900101300017 ;", "benefits": "large_family;teacher:2026-01-01:"}
    parsed = raw_from_csv_row(row)
    assert parsed["patronymic"] == ""
    assert parsed["representatives"] == [{"iin": MOTHER, "kind": "guardian"}, {"iin": "900101300017", "kind": "parent"}]
    assert parsed["benefits"] == [
        {"kind": "large_family", "valid_from": "", "valid_to": ""},
        {"kind": "teacher", "valid_from": "2026-01-01", "valid_to": ""},
    ]
    back = csv_row_from_raw(parsed)
    assert back["representatives"] == f"{MOTHER}:guardian;900101300017:parent"
    assert back["benefits"] == "large_family;teacher:2026-01-01:"
    assert csv_row_from_raw({"iin": BOY, "benefits": ["orphan"]})["benefits"] == "orphan"
    assert csv_row_from_raw({"iin": BOY})["representatives"] == ""
