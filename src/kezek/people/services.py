"""Writing the people tables: importing registry extracts (``kezek.registry/1``, JSON or CSV)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from kezek.audit.services import audit_record
from kezek.domain.errors import Conflict, InvalidInput, gettext_noop
from kezek.domain.registry_records import (
    CSV_COLUMNS,
    FORMAT,
    PersonRecord,
    Rejected,
    csv_row_from_raw,
    raw_from_csv_row,
    validate_extract,
)
from kezek.geo.models import District
from kezek.people.models import BenefitFact, LegalRepresentation, Person

CHUNK = 2000
# Any constant works: it only has to be the same for every process importing into the same database.
IMPORT_LOCK_KEY = 7_346_021
PERSON_FIELDS = ("last_name", "first_name", "patronymic", "birth_date", "sex", "phone", "district_id")


class RegistryFileInvalid(InvalidInput):
    code = "registry_file_invalid"
    message = gettext_noop("The registry file cannot be read: %(problem)s")
    hint = gettext_noop("Export the extract again in the kezek.registry/1 format (JSON or CSV, UTF-8) and import it.")


class RegistryChanged(Conflict):
    code = "registry_changed"
    message = gettext_noop("The registry changed while this extract was being imported.")
    hint = gettext_noop("Import the file again.")


@dataclass
class ImportReport:
    """What an import did; ``rejected`` lists every bad record, and when it is not empty nothing changed."""

    source: str
    total: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    links_created: int = 0
    links_updated: int = 0
    links_removed: int = 0
    benefits_created: int = 0
    benefits_updated: int = 0
    benefits_removed: int = 0

    @property
    def accepted(self) -> int:
        return self.total - len(self.rejected)

    @property
    def applied(self) -> bool:
        return not self.rejected

    def counts(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("rejected")
        return data | {"accepted": self.accepted, "rejected": len(self.rejected)}


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- reading ------------------------------------------------------------------------------------


def _read_json(path: Path) -> list[tuple[int, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RegistryFileInvalid(problem=f"not JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise RegistryFileInvalid(problem=f'the "format" field must be "{FORMAT}"')
    persons = data.get("persons")
    if not isinstance(persons, list):
        raise RegistryFileInvalid(problem='"persons" must be a list')
    return list(enumerate(persons, start=1))


def _read_csv(path: Path) -> list[tuple[int, Any]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = {"iin", "last_name", "first_name"} - set(reader.fieldnames or ())
            if missing:
                raise RegistryFileInvalid(problem=f"the header lacks the columns {', '.join(sorted(missing))}")
            return [(reader.line_num, raw_from_csv_row(row)) for row in reader]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise RegistryFileInvalid(problem=f"not UTF-8 CSV ({exc})") from None


def registry_read(*, path: Path) -> list[tuple[int, Any]]:
    """The raw records of an extract file with their line (CSV) or record (JSON) numbers."""
    readers = {".json": _read_json, ".csv": _read_csv}
    reader = readers.get(path.suffix.lower())
    if reader is None:
        raise RegistryFileInvalid(problem="the file name must end in .json or .csv")
    if not path.is_file():
        raise RegistryFileInvalid(problem=f"{path} does not exist")
    return reader(path)


def registry_write(*, path: Path, records: list[dict[str, Any]]) -> None:
    """Write raw records as an extract file, JSON or CSV by the file name."""
    if path.suffix.lower() == ".json":
        path.write_text(json.dumps({"format": FORMAT, "persons": records}, ensure_ascii=False), encoding="utf-8")
    elif path.suffix.lower() == ".csv":
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
            writer.writeheader()
            writer.writerows(csv_row_from_raw(r) for r in records)
    else:
        raise RegistryFileInvalid(problem="the file name must end in .json or .csv")


# --- database lookups ---------------------------------------------------------------------------


def _ids_by_iin(iins: Iterable[str]) -> dict[str, int]:
    wanted = sorted(set(iins))
    found: dict[str, int] = {}
    for chunk in _chunks(wanted):
        found.update(Person.objects.filter(iin__in=chunk).values_list("iin", "id"))
    return found


def _phone_holders(phones: set[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for chunk in _chunks(sorted(phones)):
        found.update(Person.objects.filter(phone__in=chunk).values_list("phone", "iin"))
    return found


# --- import -------------------------------------------------------------------------------------


def registry_import(*, path: Path, actor: Any = None) -> ImportReport:
    """Import a registry extract (rule: all or nothing; persons are upserted by IIN; one audit event)."""
    rows = registry_read(path=path)
    report = ImportReport(source=path.name, total=len(rows))
    districts = dict(District.objects.values_list("code", "id"))
    result = validate_extract(
        rows,
        today=timezone.localdate(),
        district_codes=districts.keys(),
        existing_iins=lambda iins: _ids_by_iin(iins).keys(),
        phone_holders=_phone_holders,
    )
    if result.rejected:
        report.rejected = result.rejected
        return report
    with transaction.atomic():
        _lock_imports()
        ids = _upsert_persons(result.records, districts, report)
        _sync_links(result.records, ids, report)
        _sync_benefits(result.records, ids, report)
        audit_record(actor=actor, action="registry.import", object_type="people.registry", object_id=path.name, after=report.counts())
    return report


def _lock_imports() -> None:
    # Two imports diffing the same persons at once would both insert them; PostgreSQL serialises them
    # here, SQLite already did at BEGIN IMMEDIATE.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_KEY])


def _person_values(record: PersonRecord, districts: dict[str, int]) -> dict[str, Any]:
    return {
        "last_name": record.last_name,
        "first_name": record.first_name,
        "patronymic": record.patronymic,
        "birth_date": record.birth_date,
        "sex": record.sex,
        "phone": record.phone,
        "district_id": districts.get(record.district_code),
    }


def _upsert_persons(records: list[PersonRecord], districts: dict[str, int], report: ImportReport) -> dict[str, int]:
    existing: dict[str, dict[str, Any]] = {}
    for chunk in _chunks([r.iin for r in records]):
        for row in Person.objects.filter(iin__in=chunk).values("id", "iin", *PERSON_FIELDS):
            existing[row["iin"]] = row
    now = timezone.now()
    to_create, to_update = [], []
    for record in records:
        values = _person_values(record, districts)
        row = existing.get(record.iin)
        if row is None:
            to_create.append(Person(iin=record.iin, **values))
        elif any(row[name] != value for name, value in values.items()):
            to_update.append(Person(id=row["id"], iin=record.iin, updated_at=now, **values))
    Person.objects.bulk_create(to_create, batch_size=1000)
    Person.objects.bulk_update(to_update, [*PERSON_FIELDS, "updated_at"], batch_size=500)
    report.created, report.updated = len(to_create), len(to_update)
    report.unchanged = len(records) - len(to_create) - len(to_update)
    ids = {iin: row["id"] for iin, row in existing.items()}
    ids.update((p.iin, p.pk) for p in to_create if p.pk is not None)
    # Backends that cannot return keys from a bulk insert leave pk empty; look those up once.
    ids.update(_ids_by_iin(p.iin for p in to_create if p.pk is None))
    return ids


def _sync_links(records: list[PersonRecord], ids: dict[str, int], report: ImportReport) -> None:
    outside = {rep.iin for r in records for rep in r.representatives} - ids.keys()
    rep_ids = ids | _ids_by_iin(outside)
    if not outside <= rep_ids.keys():
        raise RegistryChanged()
    wanted = {(rep_ids[rep.iin], ids[r.iin]): rep.kind for r in records for rep in r.representatives}
    current: dict[tuple[int, int], tuple[int, str]] = {}
    for chunk in _chunks([ids[r.iin] for r in records]):
        for link_id, rep_id, child_id, kind in LegalRepresentation.objects.filter(child_id__in=chunk).values_list(
            "id", "representative_id", "child_id", "kind"
        ):
            current[(rep_id, child_id)] = (link_id, kind)
    to_create = [LegalRepresentation(representative_id=a, child_id=c, kind=k) for (a, c), k in wanted.items() if (a, c) not in current]
    to_update = [
        LegalRepresentation(id=current[key][0], kind=kind)
        for key, kind in wanted.items()
        if key in current and current[key][1] != kind
    ]
    stale = [link_id for key, (link_id, _) in current.items() if key not in wanted]
    LegalRepresentation.objects.bulk_create(to_create, batch_size=1000)
    LegalRepresentation.objects.bulk_update(to_update, ["kind"], batch_size=500)
    for chunk in _chunks(stale):
        LegalRepresentation.objects.filter(id__in=chunk).delete()
    report.links_created, report.links_updated, report.links_removed = len(to_create), len(to_update), len(stale)


def _sync_benefits(records: list[PersonRecord], ids: dict[str, int], report: ImportReport) -> None:
    wanted = {(ids[r.iin], b.kind): (b.valid_from, b.valid_to) for r in records for b in r.benefits}
    current: dict[tuple[int, str], tuple[int, Any, Any]] = {}
    for chunk in _chunks([ids[r.iin] for r in records]):
        for fact_id, person_id, kind, start, end in BenefitFact.objects.filter(person_id__in=chunk).values_list(
            "id", "person_id", "kind", "valid_from", "valid_to"
        ):
            current[(person_id, kind)] = (fact_id, start, end)
    to_create = [
        BenefitFact(person_id=p, kind=k, valid_from=start, valid_to=end)
        for (p, k), (start, end) in wanted.items()
        if (p, k) not in current
    ]
    to_update = [
        BenefitFact(id=current[key][0], valid_from=start, valid_to=end)
        for key, (start, end) in wanted.items()
        if key in current and current[key][1:] != (start, end)
    ]
    stale = [fact_id for key, (fact_id, _, _) in current.items() if key not in wanted]
    BenefitFact.objects.bulk_create(to_create, batch_size=1000)
    BenefitFact.objects.bulk_update(to_update, ["valid_from", "valid_to"], batch_size=500)
    for chunk in _chunks(stale):
        BenefitFact.objects.filter(id__in=chunk).delete()
    report.benefits_created, report.benefits_updated = len(to_create), len(to_update)
    report.benefits_removed = len(stale)
