"""No page or download of the public part shows an IIN, a name or a birth date from the demo data.

The demo city is seeded with ``kezek demo``; its registry children then join the kindergarten queue, a
round is announced and run over them, and a voucher campaign is announced. Every public page and download
(no sign-in) is then fetched and searched for every demo person's IIN, full name and birth date.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from kezek.audit.services import audit_checkpoint_publish
from kezek.people.models import LegalRepresentation, Person
from kezek.rounds.services import round_announce
from tests.factories.accounts import make_parent
from tests.factories.applications import make_application
from tests.factories.rounds import add_place, make_round, run_round
from tests.factories.vouchers import make_campaign

pytestmark = pytest.mark.django_db

# Event dates on public pages (announcements, runs) fall within the last weeks; a birth date that recent
# could coincide with one without being a leak, so only birth dates older than this are searched for.
RECENT = dt.timedelta(days=120)


@pytest.fixture
def demo_city():
    call_command("demo", families=40, kindergartens=4, groups=12, providers=2, sections=6, verbosity=0)
    cache.clear()
    links, adults, children = [], set(), set()
    for link in LegalRepresentation.objects.select_related("representative", "child")[:80]:
        if link.representative_id not in adults and link.child_id not in children and len(links) < 12:
            links.append(link)
            adults.add(link.representative_id)
            children.add(link.child_id)
    round = make_round(policy="match", tie_break="lottery")
    place = add_place(round, places=3)
    for link in links:
        make_application(
            child=link.child, applicant=make_parent(link.representative), district=round.district,
            registered_at=timezone.now() - dt.timedelta(days=10), preferences=[place.group.organisation],
            age_group=place.age_group,
        )
    round = round_announce(officer=round.created_by, round=round)
    run_round(round)
    make_campaign(quota=30)
    audit_checkpoint_publish()
    cache.clear()
    return round


def _public_urls(client, round) -> list[str]:
    urls = [
        "/", "/transparency/regions/astana/", "/transparency/data/kindergarten-queue.csv",
        "/transparency/data/kindergarten-queue.json", "/transparency/regions/astana/rounds.csv",
        "/transparency/regions/astana/rounds.json", "/transparency/regions/astana/campaigns.csv",
        "/transparency/regions/astana/campaigns.json", "/transparency/checkpoints/", "/transparency/checkpoints.json",
        "/transparency/checkpoints.csv", "/transparency/timeline/", "/rounds/", f"/rounds/{round.code}/",
        "/clubs/", "/vouchers/campaigns/", "/api/v1/rounds/", f"/api/v1/rounds/{round.code}",
        f"/api/v1/rounds/{round.code}/input", f"/api/v1/rounds/{round.code}/result", "/api/v1/audit/checkpoints",
        "/api/v1/vouchers/sections", "/api/v1/vouchers/campaigns",
    ]
    # Follow every link the round page and the campaign list offer (downloads, campaign pages).
    for page in (f"/rounds/{round.code}/", "/vouchers/campaigns/"):
        body = client.get(page).content.decode()
        urls += [href for href in re.findall(r'href="(/(?:rounds|vouchers/campaigns)/[^"]+)"', body) if "officer" not in href]
    return sorted(set(urls))


def test_no_public_page_or_download_contains_personal_data(client, demo_city):
    persons = list(Person.objects.all())
    assert len(persons) > 100
    old_enough = timezone.localdate() - RECENT
    needles = set()
    for person in persons:
        needles |= {person.iin, f"{person.last_name} {person.first_name}", f"{person.first_name} {person.last_name}"}
        if person.birth_date < old_enough:
            needles |= {person.birth_date.isoformat(), person.birth_date.strftime("%d.%m.%Y")}

    checked = 0
    for url in _public_urls(client, demo_city):
        response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
        found = sorted(n for n in needles if n in body)
        assert not found, f"{url} shows {found[:5]}"
        checked += 1
    assert checked >= 20
