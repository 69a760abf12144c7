"""Parallel imports of one extract on PostgreSQL: serialised, so every person is created exactly once."""

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from kezek.domain.synthetic_registry import generate_registry
from kezek.people.models import LegalRepresentation, Person
from kezek.people.services import registry_import, registry_write

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def run(path):
    try:
        return registry_import(path=path)
    finally:
        connection.close()


def test_parallel_imports_of_the_same_extract_create_each_person_once(tmp_path):
    records = generate_registry(families=60, seed=11, reference_date=dt.date.today(), district_codes=[])
    path = tmp_path / "extract.json"
    registry_write(path=path, records=records)
    with ThreadPoolExecutor(max_workers=4) as pool:
        reports = list(pool.map(run, [path] * 4))
    assert all(r.applied for r in reports)
    assert sum(r.created for r in reports) == len(records)
    assert sorted(r.unchanged for r in reports) == [0, len(records), len(records), len(records)]
    assert Person.objects.count() == len(records)
    assert LegalRepresentation.objects.count() == sum(len(r["representatives"]) for r in records)
