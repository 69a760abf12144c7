"""The public dashboard: aggregated, small counts suppressed, no child's data, cached for at most a minute."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.factories.applications import make_application
from tests.factories.geo import district
from tests.factories.organisations import make_group

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _queue(n: int, *, district_code: str = "astana-yesil", priority_class: int = 2, birth_year: int = 2022):
    import datetime as dt

    return [
        make_application(district=district_code, priority_class=priority_class, child_birth_date=dt.date(birth_year, 3, 1))
        for _ in range(n)
    ]


def test_region_page_shows_counts_per_district_and_suppresses_small_ones(client):
    _queue(6)
    _queue(2, priority_class=1)
    _queue(3, district_code="astana-almaty")
    make_group(capacity=30, district="astana-yesil")

    response = client.get(reverse("transparency:region", kwargs={"region_code": "astana"}))

    assert response.status_code == 200
    yesil = next(d for d in response.context["districts"] if d["code"] == "astana-yesil")
    almaty = next(d for d in response.context["districts"] if d["code"] == "astana-almaty")
    assert yesil["waiting"] == 8
    assert yesil["free_places"] == 30
    assert yesil["age_groups"] == [{"age_group": 2022, "classes": [0, None, 6], "total": 8}]
    assert almaty["waiting"] is None  # 3 children: shown as "<5"
    assert "&lt;5" in response.content.decode()


def test_page_and_downloads_contain_no_iin_or_name(client):
    applications = _queue(5)
    pages = [
        client.get(reverse("transparency:region", kwargs={"region_code": "astana"})),
        client.get(reverse("transparency:queue-csv")),
        client.get(reverse("transparency:queue-json")),
    ]
    for response in pages:
        body = response.content.decode()
        assert response.status_code == 200
        for application in applications:
            child = application.child
            assert child.iin not in body
            assert child.last_name not in body
            assert child.birth_date.isoformat() not in body


def test_open_data_rows_match_the_queue(client):
    _queue(5)
    _queue(1, priority_class=0)

    rows = list(csv.DictReader(io.StringIO(client.get(reverse("transparency:queue-csv")).content.decode())))
    data = json.loads(client.get(reverse("transparency:queue-json")).content)

    assert {(r["district"], r["priority_class"], r["waiting"]) for r in rows} == {
        ("astana-yesil", "general", "5"), ("astana-yesil", "extraordinary", "<5"),
    }
    assert data["format"] == "kezek.open-data.queue/1"
    assert sorted((r["priority_class"], r["waiting"]) for r in data["rows"]) == [("extraordinary", None), ("general", 5)]


def test_figures_are_cached_then_refreshed_when_the_cache_expires(client):
    _queue(5)
    url = reverse("transparency:region", kwargs={"region_code": "astana"})
    assert next(d for d in client.get(url).context["districts"] if d["code"] == "astana-yesil")["waiting"] == 5

    _queue(1)
    assert next(d for d in client.get(url).context["districts"] if d["code"] == "astana-yesil")["waiting"] == 5
    cache.clear()  # what the 30-second expiry does
    assert next(d for d in client.get(url).context["districts"] if d["code"] == "astana-yesil")["waiting"] == 6


def test_every_language_renders_and_unknown_region_is_404(client):
    district("astana-yesil")
    for lang in ("kk", "ru", "en"):
        response = client.get(reverse("transparency:region", kwargs={"region_code": "astana"}), HTTP_ACCEPT_LANGUAGE=lang)
        assert response.status_code == 200
        assert f'lang="{lang}"' in response.content.decode()
    assert client.get(reverse("transparency:region", kwargs={"region_code": "atlantis"})).status_code == 404
    assert client.get(reverse("transparency:dashboard") + "?region=almaty").url.endswith("/regions/almaty/")
