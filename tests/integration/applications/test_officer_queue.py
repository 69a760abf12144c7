"""Officers' queue page and CSV export: filters, positions, masked IINs, district scope."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kezek.applications.models import Application
from tests.factories.accounts import make_admin, make_officer, make_parent
from tests.factories.applications import make_application
from tests.factories.geo import district
from tests.factories.organisations import make_organisation

pytestmark = pytest.mark.django_db

T0 = timezone.now().replace(microsecond=0) - dt.timedelta(days=10)


def app(minutes: int, klass: int = 2, **kwargs) -> Application:
    kwargs.setdefault("age_group", 2022)
    return make_application(registered_at=T0 + dt.timedelta(minutes=minutes), priority_class=klass, **kwargs)


@pytest.fixture
def queue():
    k1 = make_organisation(name="Балабақша Айгөлек")
    rows = {
        "g1": app(0, 2, preferences=[k1]),
        "f1": app(5, 1),
        "x1": app(9, 0),
        "g2": app(1, 2),
        "gone": app(2, 2, status=Application.Status.WITHDRAWN),
        "older": app(3, 2, age_group=2021),
        "elsewhere": app(0, 0, district=district("astana-almaty")),
    }
    return rows


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_officer_sees_the_district_queue_in_order(queue):
    response = client_for(make_officer(district())).get(reverse("applications:officer-queue"), {"age_group": 2022})
    assert response.status_code == 200
    page = response.content.decode()
    order = [queue[k].public_id for k in ("x1", "f1", "g1", "g2")]
    assert [page.index(p) for p in order] == sorted(page.index(p) for p in order)
    for hidden in ("gone", "older", "elsewhere"):
        assert queue[hidden].public_id not in page
    assert queue["g1"].child.iin not in page
    assert f"{queue['g1'].child.iin[:4]}******{queue['g1'].child.iin[-2:]}" in page
    assert "Балабақша Айгөлек" in page


def test_first_visit_shows_the_officers_district(queue):
    response = client_for(make_officer(district())).get(reverse("applications:officer-queue"))
    page = response.content.decode()
    assert queue["older"].public_id in page and queue["x1"].public_id in page
    assert queue["elsewhere"].public_id not in page


def test_csv_export_with_filters(queue):
    client = client_for(make_officer(district()))
    response = client.get(reverse("applications:officer-queue-csv"), {"age_group": 2022})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0] == ["position", "queue_number", "public_id", "child_iin", "priority_class", "registered_at", "status", "first_choice"]
    assert [(r[0], r[2], r[4]) for r in rows[1:]] == [
        ("1", queue["x1"].public_id, "0"), ("2", queue["f1"].public_id, "1"),
        ("3", queue["g1"].public_id, "2"), ("4", queue["g2"].public_id, "2"),
    ]
    g1 = rows[3]
    assert g1[1] == str(queue["g1"].pk)
    assert g1[3] == f"{queue['g1'].child.iin[:4]}******{queue['g1'].child.iin[-2:]}"
    assert g1[5] == timezone.localtime(queue["g1"].registered_at).strftime("%Y-%m-%d %H:%M:%S")
    assert (g1[6], g1[7]) == ("active", "Балабақша Айгөлек")

    general = read_csv(client.get(reverse("applications:officer-queue-csv"), {"age_group": 2022, "priority_class": 2}))
    # Positions stay the real queue positions under a class filter.
    assert [(r[0], r[2]) for r in general[1:]] == [("3", queue["g1"].public_id), ("4", queue["g2"].public_id)]

    everything = read_csv(client.get(reverse("applications:officer-queue-csv"), {"status": "all"}))
    by_id = {r[2]: r for r in everything[1:]}
    assert by_id[queue["gone"].public_id][0] == "" and by_id[queue["gone"].public_id][6] == "withdrawn"
    assert by_id[queue["older"].public_id][0] == "1"
    assert by_id[queue["g2"].public_id][0] == "4"
    assert queue["elsewhere"].public_id not in by_id

    found = read_csv(client.get(reverse("applications:officer-queue-csv"), {"q": queue["g2"].public_id}))
    assert [(r[0], r[2]) for r in found[1:]] == [("4", queue["g2"].public_id)]
    by_iin = read_csv(client.get(reverse("applications:officer-queue-csv"), {"q": queue["f1"].child.iin}))
    assert [(r[0], r[2]) for r in by_iin[1:]] == [("2", queue["f1"].public_id)]
    by_number = read_csv(client.get(reverse("applications:officer-queue-csv"), {"q": str(queue["x1"].pk)}))
    assert [r[2] for r in by_number[1:]] == [queue["x1"].public_id]


def test_pages_are_paginated(queue, monkeypatch):
    from kezek.applications.views import officer

    monkeypatch.setattr(officer, "PAGE_SIZE", 2)
    client = client_for(make_officer(district()))
    first = client.get(reverse("applications:officer-queue"), {"age_group": 2022}).content.decode()
    second = client.get(reverse("applications:officer-queue"), {"age_group": 2022, "page": 2}).content.decode()
    assert queue["x1"].public_id in first and queue["g1"].public_id not in first
    assert queue["g1"].public_id in second and queue["x1"].public_id not in second
    # Positions continue on the next page.
    assert "<td>3</td>" in second and "<td>4</td>" in second


def test_officer_of_another_district_is_refused(queue):
    client = client_for(make_officer(district("astana-almaty")))
    params = {"district": district().pk}
    response = client.get(reverse("applications:officer-queue"), params)
    assert response.status_code == 403
    assert queue["g1"].public_id not in response.content.decode()
    assert client.get(reverse("applications:officer-queue-csv"), params).status_code == 403


def test_parents_are_refused_and_anonymous_users_sent_to_sign_in(queue):
    response = client_for(make_parent()).get(reverse("applications:officer-queue"))
    assert response.status_code == 403
    assert client_for(make_parent()).get(reverse("applications:officer-queue-csv"), {"district": district().pk}).status_code == 403
    anonymous = client_for(None).get(reverse("applications:officer-queue"))
    assert anonymous.status_code == 302 and reverse("web:staff-signin") in anonymous["Location"]


def test_admin_chooses_any_district(queue):
    client = client_for(make_admin())
    assert "Choose a district" in client.get(reverse("applications:officer-queue")).content.decode()
    assert client.get(reverse("applications:officer-queue-csv")).status_code == 400
    rows = read_csv(client.get(reverse("applications:officer-queue-csv"), {"district": district("astana-almaty").pk}))
    assert [r[2] for r in rows[1:]] == [queue["elsewhere"].public_id]


def test_bad_filters_show_errors_not_500(queue):
    client = client_for(make_officer(district()))
    response = client.get(reverse("applications:officer-queue"), {"age_group": "abc", "priority_class": "9"})
    assert response.status_code == 200
    assert "Enter a whole number" in response.content.decode()
    assert client.get(reverse("applications:officer-queue-csv"), {"age_group": "abc"}).status_code == 400
