"""A deterministic synthetic civil registry for demos, load tests and development.

``generate_registry`` returns records in the ``kezek.registry/1`` extract shape (see
``docs/registry-format.md``), so they go through the same validation and import as a real extract.
The same seed, reference date and district list always give the same registry.

Benefit facts are recorded on the child they entitle (a teacher's child carries ``teacher``), which is
how the queue reads them.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from kezek.domain import names_kz
from kezek.domain.iin import build_iin

# Operator codes that phonenumbers accepts as Kazakhstan mobile ranges (Beeline, Kcell/Activ, Tele2, Altel).
PHONE_PREFIXES = ("700", "701", "702", "705", "706", "707", "708", "747", "771", "775", "776", "777", "778")
CHILDREN_WEIGHTS = {1: 32, 2: 33, 3: 20, 4: 9, 5: 4, 6: 2}
LARGE_FAMILY_CHILDREN = 4
CHILD_AGES = range(0, 18)
ADULT_MIN_AGE, ADULT_MAX_AGE = 20, 50
# The youngest a parent is at the birth of their oldest child, so that parents are believable.
PARENT_AGE_GAP = 20

P_GUARDIAN_FAMILY = 0.02
P_SINGLE_PARENT = 0.15
P_SINGLE_FATHER = 0.2
P_RUSSIAN_FAMILY = 0.3
P_RUSSIAN_STYLE_PATRONYMIC = 0.4
P_MOTHER_KEEPS_SURNAME = 0.2
P_TEACHER = 0.06
P_MILITARY = 0.03
P_PARENT_DISABILITY = 0.01
P_CHILD_DISABILITY = 0.02
P_SPECIAL_NEEDS = 0.01


def shift_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` later (negative: earlier); 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class _Male:
    name: str
    son_patronymic: str
    daughter_patronymic: str


@dataclass
class _Generator:
    rng: random.Random
    reference_date: dt.date
    district_codes: list[str]
    used_iins: set[str] = field(default_factory=set)
    used_phones: set[str] = field(default_factory=set)

    # --- identities ------------------------------------------------------------------------------
    def birth_date(self, age: int) -> dt.date:
        # Up to 364 days before the last birthday keeps the age exact even across leap years.
        return shift_years(self.reference_date, -age) - dt.timedelta(days=self.rng.randint(0, 364))

    def new_iin(self, birth_date: dt.date, sex: str) -> str:
        serial = self.rng.randrange(10000)
        while True:
            iin = build_iin(birth_date, sex, serial)  # type: ignore[arg-type]
            if iin is not None and iin not in self.used_iins:
                self.used_iins.add(iin)
                return iin
            serial = (serial + 1) % 10000

    def new_phone(self) -> str:
        while True:
            phone = f"+7{self.rng.choice(PHONE_PREFIXES)}{self.rng.randrange(10_000_000):07d}"
            if phone not in self.used_phones:
                self.used_phones.add(phone)
                return phone

    # --- names -----------------------------------------------------------------------------------
    def male(self, russian: bool, russian_style: bool) -> _Male:
        if russian:
            return _Male(*self.rng.choice(names_kz.RUSSIAN_MALE))
        kk, ru = self.rng.choice(names_kz.KAZAKH_MALE)
        return _Male(
            kk,
            names_kz.kazakh_patronymic(kk, ru, "M", russian_style=russian_style),
            names_kz.kazakh_patronymic(kk, ru, "F", russian_style=russian_style),
        )

    def female_name(self, russian: bool) -> str:
        return self.rng.choice(names_kz.RUSSIAN_FEMALE if russian else names_kz.KAZAKH_FEMALE)

    def surname(self, russian: bool) -> str:
        return self.rng.choice(names_kz.RUSSIAN_SURNAMES if russian else names_kz.KAZAKH_SURNAMES)

    # --- people ----------------------------------------------------------------------------------
    def person(
        self, *, age: int, sex: str, surname: str, first_name: str, father: _Male, district: str, adult: bool
    ) -> dict[str, Any]:
        birth_date = self.birth_date(age)
        return {
            "iin": self.new_iin(birth_date, sex),
            "last_name": surname if sex == "M" else names_kz.feminine_surname(surname),
            "first_name": first_name,
            "patronymic": father.son_patronymic if sex == "M" else father.daughter_patronymic,
            "birth_date": birth_date.isoformat(),
            "sex": sex,
            "phone": self.new_phone() if adult else "",
            "district": district,
            "representatives": [],
            "benefits": [],
        }

    def adult(self, *, sex: str, age: int, surname: str, russian: bool, russian_style: bool, district: str):
        own_father = self.male(russian, russian_style)
        first_name = self.male(russian, russian_style).name if sex == "M" else self.female_name(russian)
        return self.person(
            age=age, sex=sex, surname=surname, first_name=first_name, father=own_father, district=district, adult=True
        )

    def family(self) -> list[dict[str, Any]]:
        rng = self.rng
        district = rng.choice(self.district_codes) if self.district_codes else ""
        russian = rng.random() < P_RUSSIAN_FAMILY
        russian_style = russian or rng.random() < P_RUSSIAN_STYLE_PATRONYMIC
        count = rng.choices(list(CHILDREN_WEIGHTS), weights=list(CHILDREN_WEIGHTS.values()))[0]
        ages = [rng.choice(CHILD_AGES) for _ in range(count)]
        youngest_parent = max(ADULT_MIN_AGE, max(ages) + PARENT_AGE_GAP)
        father = self.male(russian, russian_style)
        surname = self.surname(russian)
        shape = rng.random()
        adults: list[tuple[dict[str, Any], str]] = []
        if shape < P_GUARDIAN_FAMILY:
            guardian_sex = rng.choice(("F", "F", "M"))
            guardian = self.adult(
                sex=guardian_sex,
                age=rng.randint(youngest_parent, ADULT_MAX_AGE),
                surname=self.surname(russian),
                russian=russian,
                russian_style=russian_style,
                district=district,
            )
            adults.append((guardian, "guardian"))
            child_benefits = [rng.choice(("orphan", "no_parental_care"))]
        else:
            adults.extend(self.parents(father, surname, youngest_parent, russian, russian_style, district, shape))
            child_benefits = self.family_benefits(count)
        children = [
            self.person(
                age=age,
                sex=rng.choice(("M", "F")),
                surname=surname,
                first_name="",
                father=father,
                district=district,
                adult=False,
            )
            for age in ages
        ]
        for child in children:
            child["first_name"] = self.male(russian, russian_style).name if child["sex"] == "M" else self.female_name(russian)
            child["representatives"] = [{"iin": a["iin"], "kind": kind} for a, kind in adults]
            child["benefits"] = child_benefits + self.child_benefits()
        return [a for a, _ in adults] + children

    def parents(self, father, surname, youngest, russian, russian_style, district, shape):
        rng = self.rng
        father_age = rng.randint(youngest, ADULT_MAX_AGE)
        mother_age = min(ADULT_MAX_AGE, max(youngest, father_age + rng.randint(-5, 2)))
        single = shape < P_GUARDIAN_FAMILY + P_SINGLE_PARENT
        # A single parent: the registry has no record of the other one.
        with_father = not single or rng.random() < P_SINGLE_FATHER
        with_mother = not single or not with_father
        adults = []
        if with_father:
            father_record = self.person(
                age=father_age,
                sex="M",
                surname=surname,
                first_name=father.name,
                father=self.male(russian, russian_style),
                district=district,
                adult=True,
            )
            adults.append((father_record, "parent"))
        if with_mother:
            mother_surname = self.surname(russian) if rng.random() < P_MOTHER_KEEPS_SURNAME else surname
            mother_record = self.adult(
                sex="F", age=mother_age, surname=mother_surname, russian=russian, russian_style=russian_style, district=district
            )
            adults.append((mother_record, "parent"))
        return adults

    def family_benefits(self, children: int) -> list[str]:
        rng = self.rng
        kinds = []
        if children >= LARGE_FAMILY_CHILDREN:
            kinds.append("large_family")
        for kind, chance in (("teacher", P_TEACHER), ("military", P_MILITARY), ("parent_disability", P_PARENT_DISABILITY)):
            if rng.random() < chance:
                kinds.append(kind)
        return kinds

    def child_benefits(self) -> list[str]:
        kinds = []
        for kind, chance in (("child_disability", P_CHILD_DISABILITY), ("special_needs", P_SPECIAL_NEEDS)):
            if self.rng.random() < chance:
                kinds.append(kind)
        return kinds


def generate_registry(
    *, families: int, seed: int, reference_date: dt.date, district_codes: list[str]
) -> list[dict[str, Any]]:
    """A synthetic registry of ``families`` families (adults first, then their children), same seed same data."""
    if families < 0:
        raise ValueError("families must not be negative")
    generator = _Generator(random.Random(seed), reference_date, list(district_codes))
    records: list[dict[str, Any]] = []
    for _ in range(families):
        records.extend(generator.family())
    return records
