"""Registry extract records: validating one person from a ``kezek.registry/1`` extract.

A record arrives as a JSON-like mapping (or a CSV row turned into one by ``raw_from_csv_row``).
``validate_record`` turns it into a clean ``PersonRecord`` or a list of machine-readable ``Reason``s,
and ``validate_extract`` adds the checks that need the whole file (duplicates, unknown representatives).
The format is described in ``docs/registry-format.md``.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal


from kezek.domain.iin import InvalidIin, age_in_years, parse_iin
from kezek.domain.phones import InvalidPhone, normalise_kz_mobile

FORMAT = "kezek.registry/1"
ADULT_AGE = 18
NAME_MAX_LENGTH = 100
CSV_COLUMNS = (
    "iin",
    "last_name",
    "first_name",
    "patronymic",
    "birth_date",
    "sex",
    "phone",
    "district",
    "representatives",
    "benefits",
)
KNOWN_FIELDS = frozenset(CSV_COLUMNS)
REPRESENTATION_KINDS = frozenset({"parent", "guardian", "adoptive_parent"})
BENEFIT_KINDS = frozenset(
    {
        "large_family",
        "child_disability",
        "parent_disability",
        "orphan",
        "no_parental_care",
        "special_needs",
        "teacher",
        "military",
    }
)

Sex = Literal["M", "F"]


@dataclass(frozen=True)
class Reason:
    """Why a record was rejected: the field (``representatives[1].iin``), a stable code and a detail."""

    field: str
    code: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.field}: {self.code}" + (f" ({self.detail})" if self.detail else "")


@dataclass(frozen=True)
class Representative:
    iin: str
    kind: str = "parent"


@dataclass(frozen=True)
class Benefit:
    kind: str
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None


@dataclass(frozen=True)
class PersonRecord:
    """A validated registry record: the IIN is valid and the birth date and sex are the ones it encodes."""

    iin: str
    last_name: str
    first_name: str
    patronymic: str
    birth_date: dt.date
    sex: Sex
    phone: str
    district_code: str
    representatives: tuple[Representative, ...] = ()
    benefits: tuple[Benefit, ...] = ()


@dataclass(frozen=True)
class Rejected:
    """One rejected record: its position (CSV line or JSON record number), its IIN as given, the reasons."""

    line: int
    iin: str
    reasons: tuple[Reason, ...]


@dataclass
class ExtractResult:
    records: list[PersonRecord] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


# Siblings list the same representatives one after another, so a small cache saves most re-parsing.
_parse_iin = functools.lru_cache(maxsize=1024)(parse_iin)


def _text(raw: Mapping[str, Any], name: str) -> str | None:
    value = raw.get(name)
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else None


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


class _Checker:
    """Collects reasons while reading one record, so that every problem is reported at once."""

    def __init__(self) -> None:
        self.reasons: list[Reason] = []

    def fail(self, field_name: str, code: str, detail: str = "") -> None:
        self.reasons.append(Reason(field_name, code, detail))

    def text(self, raw: Mapping[str, Any], name: str, *, required: bool = False) -> str:
        value = _text(raw, name)
        if value is None:
            self.fail(name, "not_text")
            return ""
        if required and not value:
            self.fail(name, "missing")
        elif len(value) > NAME_MAX_LENGTH:
            self.fail(name, "too_long", str(NAME_MAX_LENGTH))
        return value

    def iin(self, value: Any, field_name: str):
        if not isinstance(value, str) or not value.strip():
            self.fail(field_name, "missing")
            return None
        try:
            return _parse_iin(value)
        except InvalidIin as exc:
            self.fail(field_name, "invalid_iin", exc.reason)
            return None


def _check_iin_agreement(check: _Checker, raw: Mapping[str, Any], iin) -> None:
    birth_date = raw.get("birth_date")
    if birth_date not in (None, ""):
        parsed = _date(birth_date)
        if parsed is None:
            check.fail("birth_date", "invalid_date")
        elif iin is not None and parsed != iin.birth_date:
            check.fail("birth_date", "birth_date_mismatch", iin.birth_date.isoformat())
    sex = raw.get("sex")
    if sex not in (None, ""):
        if sex not in ("M", "F"):
            check.fail("sex", "invalid_sex")
        elif iin is not None and sex != iin.sex:
            check.fail("sex", "sex_mismatch", iin.sex)


def _check_phone(check: _Checker, raw: Mapping[str, Any]) -> str:
    phone = _text(raw, "phone")
    if phone is None:
        check.fail("phone", "not_text")
        return ""
    if not phone:
        return ""
    try:
        return normalise_kz_mobile(phone)
    except InvalidPhone as exc:
        check.fail("phone", "invalid_phone", exc.params["reason"])
        return ""


def _check_district(check: _Checker, raw: Mapping[str, Any], district_codes: Collection[str] | None) -> str:
    code = check.text(raw, "district")
    if code and district_codes is not None and code not in district_codes:
        check.fail("district", "unknown_district", code)
    return code


def _items(check: _Checker, raw: Mapping[str, Any], name: str) -> list[Any]:
    value = raw.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        check.fail(name, "not_a_list")
        return []
    return value


def _check_representatives(check: _Checker, raw: Mapping[str, Any], iin, today: dt.date) -> tuple[Representative, ...]:
    found: list[Representative] = []
    for i, item in enumerate(_items(check, raw, "representatives")):
        where = f"representatives[{i}]"
        if not isinstance(item, Mapping):
            check.fail(where, "not_an_object")
            continue
        kind = item.get("kind") or "parent"
        if kind not in REPRESENTATION_KINDS:
            check.fail(f"{where}.kind", "unknown_representation_kind", str(kind))
        rep = check.iin(item.get("iin"), f"{where}.iin")
        if rep is None:
            continue
        if iin is not None and rep.value == iin.value:
            check.fail(f"{where}.iin", "represents_self")
        elif age_in_years(rep.birth_date, today) < ADULT_AGE:
            check.fail(f"{where}.iin", "representative_not_adult", str(age_in_years(rep.birth_date, today)))
        elif any(r.iin == rep.value for r in found):
            check.fail(f"{where}.iin", "duplicate_representative", rep.value)
        else:
            found.append(Representative(rep.value, kind))
    return tuple(found)


def _benefit(check: _Checker, item: Any, where: str) -> Benefit | None:
    if isinstance(item, str):
        item = {"kind": item}
    if not isinstance(item, Mapping):
        check.fail(where, "not_an_object")
        return None
    kind = item.get("kind")
    dates: dict[str, dt.date | None] = {}
    for name in ("valid_from", "valid_to"):
        value = item.get(name)
        dates[name] = None if value in (None, "") else _date(value)
        if value not in (None, "") and dates[name] is None:
            check.fail(f"{where}.{name}", "invalid_date")
    if kind not in BENEFIT_KINDS:
        check.fail(f"{where}.kind", "unknown_benefit_kind", str(kind))
        return None
    start, end = dates["valid_from"], dates["valid_to"]
    if start is not None and end is not None and start > end:
        check.fail(where, "empty_period")
        return None
    return Benefit(kind, start, end)


def _check_benefits(check: _Checker, raw: Mapping[str, Any]) -> tuple[Benefit, ...]:
    found: list[Benefit] = []
    for i, item in enumerate(_items(check, raw, "benefits")):
        benefit = _benefit(check, item, f"benefits[{i}]")
        if benefit is None:
            continue
        if any(b.kind == benefit.kind for b in found):
            check.fail(f"benefits[{i}].kind", "duplicate_benefit", benefit.kind)
        else:
            found.append(benefit)
    return tuple(found)


def validate_record(
    raw: Any, *, today: dt.date, district_codes: Collection[str] | None = None
) -> PersonRecord | list[Reason]:
    """Validate one extract record (rule: the IIN is the identity; birth date and sex must agree with it)."""
    if not isinstance(raw, Mapping):
        return [Reason("record", "not_an_object")]
    check = _Checker()
    for name in sorted(set(raw) - KNOWN_FIELDS, key=str):
        check.fail(str(name), "unknown_field")
    iin = check.iin(raw.get("iin"), "iin")
    _check_iin_agreement(check, raw, iin)
    last_name = check.text(raw, "last_name", required=True)
    first_name = check.text(raw, "first_name", required=True)
    patronymic = check.text(raw, "patronymic")
    phone = _check_phone(check, raw)
    district = _check_district(check, raw, district_codes)
    representatives = _check_representatives(check, raw, iin, today)
    benefits = _check_benefits(check, raw)
    if check.reasons or iin is None:
        return check.reasons
    return PersonRecord(
        iin=iin.value,
        last_name=last_name,
        first_name=first_name,
        patronymic=patronymic,
        birth_date=iin.birth_date,
        sex=iin.sex,
        phone=phone,
        district_code=district,
        representatives=representatives,
        benefits=benefits,
    )


def _given_iin(raw: Any) -> str:
    value = raw.get("iin") if isinstance(raw, Mapping) else None
    return value.strip() if isinstance(value, str) else ""


def _nobody(keys: set[str]) -> dict[str, str]:
    return {}


def validate_extract(
    rows: Iterable[tuple[int, Any]],
    *,
    today: dt.date,
    district_codes: Collection[str] | None = None,
    existing_iins: Callable[[set[str]], Collection[str]] = _nobody,
    phone_holders: Callable[[set[str]], Mapping[str, str]] = _nobody,
) -> ExtractResult:
    """Validate every record of an extract, then the rules that span records.

    Rules across records: an IIN and a mobile number appear once per extract; a representative is a person
    of the extract or already in the registry (``existing_iins`` answers which of the given IINs are); a
    number held by a person outside the extract (``phone_holders``: phone -> IIN) is not given to another.
    """
    checked = [(line, raw, validate_record(raw, today=today, district_codes=district_codes)) for line, raw in rows]
    iin_counts = Counter(_given_iin(raw) for _, raw, _ in checked)
    records = [r for _, _, r in checked if isinstance(r, PersonRecord)]
    in_extract = {r.iin for r in records}
    phone_counts = Counter(r.phone for r in records if r.phone)
    outside = {rep.iin for r in records for rep in r.representatives} - in_extract
    known = set(existing_iins(outside)) if outside else set()
    holders = {
        phone: iin for phone, iin in (phone_holders(set(phone_counts)) if phone_counts else {}).items() if iin not in in_extract
    }
    result = ExtractResult()
    for line, raw, outcome in checked:
        reasons = outcome if isinstance(outcome, list) else _cross_reasons(
            outcome, iin_counts, phone_counts, in_extract, known, holders
        )
        if reasons:
            result.rejected.append(Rejected(line, _given_iin(raw), tuple(reasons)))
        else:
            result.records.append(outcome)  # type: ignore[arg-type]
    return result


def _cross_reasons(
    record: PersonRecord,
    iin_counts: Counter[str],
    phone_counts: Counter[str],
    in_extract: set[str],
    known: set[str],
    holders: Mapping[str, str],
) -> list[Reason]:
    reasons: list[Reason] = []
    if iin_counts[record.iin] > 1:
        reasons.append(Reason("iin", "duplicate_iin", record.iin))
    if record.phone and phone_counts[record.phone] > 1:
        reasons.append(Reason("phone", "duplicate_phone", record.phone))
    elif record.phone in holders:
        reasons.append(Reason("phone", "phone_taken", holders[record.phone]))
    for i, rep in enumerate(record.representatives):
        if rep.iin not in in_extract and rep.iin not in known:
            reasons.append(Reason(f"representatives[{i}].iin", "unknown_representative", rep.iin))
    return reasons


def _split(cell: str | None) -> list[str]:
    return [part.strip() for part in (cell or "").split(";") if part.strip()]


def raw_from_csv_row(row: Mapping[str, str | None]) -> dict[str, Any]:
    """The JSON-shaped record for one CSV row: ``iin:kind`` representatives and ``kind:from:to`` benefits."""
    raw: dict[str, Any] = {k: (v or "") for k, v in row.items() if k not in ("representatives", "benefits")}
    representatives = []
    for item in _split(row.get("representatives")):
        rep_iin, _, kind = item.partition(":")
        representatives.append({"iin": rep_iin.strip(), "kind": kind.strip() or "parent"})
    benefits = []
    for item in _split(row.get("benefits")):
        kind, _, period = item.partition(":")
        valid_from, _, valid_to = period.partition(":")
        benefits.append({"kind": kind.strip(), "valid_from": valid_from.strip(), "valid_to": valid_to.strip()})
    raw["representatives"] = representatives
    raw["benefits"] = benefits
    return raw


def csv_row_from_raw(raw: Mapping[str, Any]) -> dict[str, str]:
    """The CSV row for a JSON-shaped record (the inverse of ``raw_from_csv_row``)."""
    row = {name: str(raw.get(name) or "") for name in CSV_COLUMNS if name not in ("representatives", "benefits")}
    row["representatives"] = ";".join(f"{r['iin']}:{r.get('kind') or 'parent'}" for r in raw.get("representatives") or [])
    row["benefits"] = ";".join(_benefit_cell(b) for b in raw.get("benefits") or [])
    return row


def _benefit_cell(item: Any) -> str:
    if isinstance(item, str):
        return item
    valid_from, valid_to = item.get("valid_from") or "", item.get("valid_to") or ""
    return item["kind"] + (f":{valid_from}:{valid_to}" if valid_from or valid_to else "")
