import datetime as dt
import random
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from kezek.domain.iin import age_in_years, build_iin, parse_iin
from kezek.domain.names_kz import feminine_surname, kazakh_patronymic
from kezek.domain.phones import normalise_kz_mobile
from kezek.domain.registry_records import validate_extract
from kezek.domain.synthetic_registry import _Generator, generate_registry, shift_years

TODAY = dt.date(2026, 11, 23)
DISTRICTS = ["astana-almaty", "astana-yesil"]


def families_of(records):
    """Group children by their set of representatives: one family per set."""
    families = {}
    for r in records:
        if r["representatives"]:
            families.setdefault(tuple(x["iin"] for x in r["representatives"]), []).append(r)
    return families


def test_same_seed_same_registry_and_another_seed_another():
    first = generate_registry(families=30, seed=7, reference_date=TODAY, district_codes=DISTRICTS)
    assert first == generate_registry(families=30, seed=7, reference_date=TODAY, district_codes=DISTRICTS)
    assert first != generate_registry(families=30, seed=8, reference_date=TODAY, district_codes=DISTRICTS)


def test_a_large_registry_is_valid_realistic_and_passes_import_validation():
    records = generate_registry(families=1500, seed=1, reference_date=TODAY, district_codes=DISTRICTS)
    result = validate_extract(list(enumerate(records, 1)), today=TODAY, district_codes=set(DISTRICTS))
    assert result.rejected == [] and len(result.records) == len(records)
    families = families_of(records)
    assert len(families) == 1500
    sizes = Counter(len(children) for children in families.values())
    assert set(sizes) <= set(range(1, 7)) and sizes[1] + sizes[2] + sizes[3] > 0.7 * 1500 and sizes[6] > 0
    adults = [r for r in records if not r["representatives"]]
    assert all(20 <= age_in_years(dt.date.fromisoformat(a["birth_date"]), TODAY) <= 50 for a in adults)
    assert all(a["phone"] and normalise_kz_mobile(a["phone"]) == a["phone"] for a in adults)
    assert len({a["phone"] for a in adults}) == len(adults)
    reps = Counter(len(k) for k in families)
    assert reps[1] > 0 and reps[2] > reps[1]
    kinds = Counter(b for r in records for b in r["benefits"])
    assert {"large_family", "teacher", "military", "orphan", "no_parental_care", "child_disability"} <= set(kinds)
    for children in families.values():
        large = all("large_family" in c["benefits"] for c in children)
        assert large == (len(children) >= 4) or any(x["kind"] == "guardian" for x in children[0]["representatives"])
    guardians = [r for r in records if any(x["kind"] == "guardian" for x in r["representatives"])]
    assert guardians and all({"orphan", "no_parental_care"} & set(g["benefits"]) for g in guardians)


def test_names_have_male_and_female_forms():
    records = generate_registry(families=300, seed=3, reference_date=TODAY, district_codes=DISTRICTS)
    for r in records:
        if r["sex"] == "F":
            assert r["patronymic"].endswith(("қызы", "овна", "евна", "ична"))
            assert r["last_name"].endswith(("а", "ая"))
        else:
            assert r["patronymic"].endswith(("ұлы", "вич", "ич"))
    assert any(r["patronymic"].endswith("ұлы") for r in records)
    assert any(r["patronymic"].endswith("ович") for r in records)


def test_names_helpers():
    assert [feminine_surname(s) for s in ("Ахметов", "Ильин", "Ковальский", "Белый", "Ким")] == [
        "Ахметова", "Ильина", "Ковальская", "Белая", "Ким"
    ]
    assert kazakh_patronymic("Нұрлан", "Нурлан", "M", russian_style=False) == "Нұрланұлы"
    assert kazakh_patronymic("Нұрлан", "Нурлан", "F", russian_style=False) == "Нұрланқызы"
    assert kazakh_patronymic("Нұрлан", "Нурлан", "M", russian_style=True) == "Нурланович"
    assert kazakh_patronymic("Нұрлан", "Нурлан", "F", russian_style=True) == "Нурлановна"
    assert kazakh_patronymic("Абылай", "Абылай", "M", russian_style=True) == "Абылаевич"
    assert kazakh_patronymic("Абылай", "Абылай", "F", russian_style=True) == "Абылаевна"


def test_no_districts_and_no_families():
    assert {r["district"] for r in generate_registry(families=5, seed=1, reference_date=TODAY, district_codes=[])} == {""}
    assert generate_registry(families=0, seed=1, reference_date=TODAY, district_codes=DISTRICTS) == []
    try:
        generate_registry(families=-1, seed=1, reference_date=TODAY, district_codes=DISTRICTS)
    except ValueError:
        pass
    else:
        raise AssertionError("negative family count accepted")


def test_shift_years_keeps_29_february_in_range():
    assert shift_years(dt.date(2024, 2, 29), -1) == dt.date(2023, 2, 28)
    assert shift_years(dt.date(2024, 3, 1), -4) == dt.date(2020, 3, 1)


def test_new_iin_skips_taken_and_impossible_serials():
    generator = _Generator(random.Random(0), TODAY, DISTRICTS)
    day = dt.date(2020, 1, 1)
    # Take every serial but two; one of them may have no check digit, the other must be found.
    free = [s for s in range(10000) if build_iin(day, "M", s)][-2:]
    generator.used_iins = {build_iin(day, "M", s) for s in range(10000) if s not in free} - {None}
    generator.used_iins.add(build_iin(day, "M", free[0]))
    assert generator.new_iin(day, "M") == build_iin(day, "M", free[1])
    impossible = next(s for s in range(10000) if build_iin(day, "F", s) is None)
    generator.rng = random.Random(0)
    generator.rng.randrange = lambda n: impossible
    assert parse_iin(generator.new_iin(day, "F")).birth_date == day


def test_new_phone_skips_taken_numbers():
    generator = _Generator(random.Random(5), TODAY, DISTRICTS)
    first = generator.new_phone()
    generator.rng = random.Random(5)
    assert generator.new_phone() != first


@settings(max_examples=25, deadline=None)
@given(
    families=st.integers(min_value=1, max_value=40),
    seed=st.integers(min_value=0, max_value=2**32),
    reference_date=st.dates(min_value=dt.date(2015, 1, 1), max_value=dt.date(2045, 12, 31)),
)
def test_every_iin_is_valid_unique_and_families_have_1_to_6_children(families, seed, reference_date):
    records = generate_registry(families=families, seed=seed, reference_date=reference_date, district_codes=DISTRICTS)
    iins = [r["iin"] for r in records]
    assert len(set(iins)) == len(iins)
    for r in records:
        iin = parse_iin(r["iin"])
        assert (iin.birth_date.isoformat(), iin.sex) == (r["birth_date"], r["sex"])
        age = iin.age_on(reference_date)
        assert (0 <= age <= 17) if r["representatives"] else (20 <= age <= 50)
    children = families_of(records)
    assert all(1 <= len(c) <= 6 for c in children.values())
    assert sum(len(c) for c in children.values()) == sum(1 for r in records if r["representatives"])
