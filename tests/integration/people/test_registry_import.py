import datetime as dt
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kezek.audit.models import AuditEvent
from kezek.domain.registry_records import FORMAT
from kezek.domain.synthetic_registry import generate_registry
from kezek.people.models import BenefitFact, LegalRepresentation, Person
from kezek.people.registry import DatabaseRegistry, RegistryPerson, get_registry
from kezek.people.services import RegistryFileInvalid, registry_import, registry_write
from tests.factories.geo import district
from tests.factories.people import add_benefit, make_family, make_person

pytestmark = pytest.mark.django_db
MOTHER, BOY = "880701401235", "190523501236"


def counts():
    return (Person.objects.count(), LegalRepresentation.objects.count(), BenefitFact.objects.count())


def extract(tmp_path: Path, persons, name="extract.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"format": FORMAT, "persons": persons}, ensure_ascii=False), encoding="utf-8")
    return path


def family(**boy):
    mother = {"iin": MOTHER, "last_name": "Ахметова", "first_name": "Айгүл", "phone": "87011234567", "district": "astana-yesil"}
    child = {"iin": BOY, "last_name": "Ахметов", "first_name": "Нұрсұлтан", "patronymic": "Ерланұлы",
             "district": "astana-yesil", "representatives": [{"iin": MOTHER}], "benefits": ["large_family"]} | boy
    return [mother, child]


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_generated_extract_imports_and_reimport_is_idempotent(tmp_path, suffix):
    codes = [district("astana-yesil").code, district("astana-nura").code]
    records = generate_registry(families=40, seed=2, reference_date=dt.date.today(), district_codes=codes)
    path = tmp_path / f"registry{suffix}"
    registry_write(path=path, records=records)
    first = registry_import(path=path)
    assert first.applied and (first.created, first.updated, first.unchanged) == (len(records), 0, 0)
    links = sum(len(r["representatives"]) for r in records)
    benefits = sum(len(r["benefits"]) for r in records)
    assert counts() == (len(records), links, benefits)
    assert (first.links_created, first.benefits_created) == (links, benefits)
    second = registry_import(path=path)
    assert (second.created, second.updated, second.unchanged) == (0, 0, len(records))
    assert (second.links_created, second.links_removed, second.benefits_created, second.benefits_removed) == (0, 0, 0, 0)
    assert counts() == (len(records), links, benefits)
    events = AuditEvent.objects.filter(action="registry.import")
    assert events.count() == 2 and events.first().after["created"] == len(records)


def test_changed_records_update_and_absent_links_and_benefits_are_removed(tmp_path):
    district("astana-yesil")
    registry_import(path=extract(tmp_path, family()))
    report = registry_import(path=extract(tmp_path, family(first_name="Нұрлан", representatives=[], benefits=["teacher"])))
    assert (report.updated, report.unchanged, report.links_removed, report.benefits_removed, report.benefits_created) == (1, 1, 1, 1, 1)
    boy = Person.objects.get(iin=BOY)
    assert boy.first_name == "Нұрлан" and not boy.representative_links.exists()
    assert set(boy.benefits.values_list("kind", flat=True)) == {"teacher"}
    assert Person.objects.get(iin=MOTHER).phone == "+77011234567"


def test_one_bad_row_changes_nothing_and_is_reported(tmp_path):
    district("astana-yesil")
    make_family(children=1)
    before = counts()
    rows = family() + [{"iin": "190523501237", "last_name": "X", "first_name": "Y"}]
    report = registry_import(path=extract(tmp_path, rows))
    assert not report.applied and report.accepted == 2
    assert [(r.line, r.iin, [x.code for x in r.reasons]) for r in report.rejected] == [(3, "190523501237", ["invalid_iin"])]
    assert counts() == before
    assert not AuditEvent.objects.filter(action="registry.import").exists()


def test_csv_reports_line_numbers(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "iin,last_name,first_name,phone,representatives,benefits\n"
        f"{MOTHER},Ахметова,Айгүл,+77011234567,,\n"
        f"{BOY},Ахметов,,,{MOTHER}:parent,flying\n",
        encoding="utf-8",
    )
    report = registry_import(path=path)
    assert [(r.line, sorted(x.code for x in r.reasons)) for r in report.rejected] == [(3, ["missing", "unknown_benefit_kind"])]
    assert Person.objects.count() == 0


def test_representative_already_in_the_registry_and_phone_taken_outside(tmp_path):
    parent, _ = make_family(children=1)
    child = {"iin": BOY, "last_name": "А", "first_name": "Б", "representatives": [{"iin": parent.iin}]}
    assert registry_import(path=extract(tmp_path, [child])).applied
    thief = {"iin": MOTHER, "last_name": "В", "first_name": "Г", "phone": parent.phone}
    report = registry_import(path=extract(tmp_path, [thief]))
    assert [x.code for x in report.rejected[0].reasons] == ["phone_taken"]


@pytest.mark.parametrize(
    ("name", "content"),
    [("x.txt", "{}"), ("x.json", "not json"), ("x.json", '{"format": "other", "persons": []}'),
     ("x.json", f'{{"format": "{FORMAT}", "persons": {{}}}}'), ("x.csv", "name,iin\n")],
)
def test_unreadable_files_raise_a_clear_error(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(RegistryFileInvalid):
        registry_import(path=path)


def test_commands_print_counts_and_fail_on_rejection(tmp_path, capsys):
    out = tmp_path / "gen.csv"
    call_command("generate-registry", str(out), "--families", "5", "--seed", "1", "--district", "astana-yesil")
    district("astana-yesil")
    call_command("import-registry", str(out))
    assert " 0 rejected" in capsys.readouterr().out
    bad = extract(tmp_path, [{"iin": "1", "last_name": "X", "first_name": "Y"}])
    with pytest.raises(CommandError):
        call_command("import-registry", str(bad))
    assert "line 1 (IIN 1): iin: invalid_iin (length)" in capsys.readouterr().out


def test_database_registry_answers(settings):
    parent, (older, younger) = make_family(children=2)
    add_benefit(younger, "large_family")
    add_benefit(younger, "teacher", valid_to=dt.date(2000, 1, 1))
    stranger = make_person()
    settings.KEZEK_REGISTRY_BACKEND = "database"
    registry = get_registry()
    assert isinstance(registry, DatabaseRegistry)
    found = registry.person_by_iin(parent.iin)
    assert isinstance(found, RegistryPerson) and found.full_name == parent.full_name and found.phone == parent.phone
    assert registry.person_by_iin("000000000000") is None
    assert registry.person_by_phone(parent.phone).iin == parent.iin
    assert registry.person_by_phone("") is None and registry.person_by_phone("+77770000000") is None
    assert [c.iin for c in registry.children_of(parent.iin)] == [older.iin, younger.iin]
    assert registry.children_of(stranger.iin) == []
    assert registry.is_legal_representative(adult_iin=parent.iin, child_iin=younger.iin)
    assert not registry.is_legal_representative(adult_iin=stranger.iin, child_iin=younger.iin)
    assert registry.benefits_of(younger.iin) == {"large_family"}
    assert registry.benefits_of(younger.iin, on=dt.date(1999, 1, 1)) == {"large_family", "teacher"}
    settings.KEZEK_REGISTRY_BACKEND = "kezek.people.registry.DatabaseRegistry"
    assert isinstance(get_registry(), DatabaseRegistry)
