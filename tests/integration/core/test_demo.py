import pytest
from django.core.management import call_command

from kezek.accounts.models import Role, User
from kezek.audit.models import AuditEvent
from kezek.organisations.models import Group, Organisation
from kezek.people.models import Person

pytestmark = pytest.mark.django_db

SMALL = ["--families", "60", "--kindergartens", "4", "--groups", "20", "--providers", "3", "--sections", "12"]


def state():
    return (Organisation.objects.count(), Group.objects.count(), Person.objects.count(), User.objects.count(),
            AuditEvent.objects.filter(action="demo.seed").count())


def test_demo_seeds_a_small_city_once(capsys):
    call_command("demo", *SMALL)
    out = capsys.readouterr().out
    orgs, groups, persons, users, seeds = state()
    assert (orgs, groups, seeds) == (7, 32, 1) and persons > 120
    assert User.objects.filter(role=Role.OFFICER).count() == 5
    assert User.objects.get(username="admin").check_password("kezek-demo-2026")
    assert Organisation.objects.filter(kind="kindergarten").count() == 4
    assert set(Group.objects.filter(organisation__kind="club").values_list("kind", flat=True)) == {
        "sport", "arts", "music", "technology", "languages", "science"
    }
    phones = [line.split()[0] for line in out.splitlines() if line.strip().startswith("+77")]
    assert len(phones) == 2 and all(Person.objects.filter(phone=p).exists() for p in phones)
    assert "the SMS code is printed by the worker in this terminal" in out
    # Parent accounts exist only for the families the attendance demo enrolled, bound to their registry person.
    assert not User.objects.filter(role=Role.PARENT, person__isnull=True).exists()

    call_command("demo", *SMALL)
    assert "already present" in capsys.readouterr().out
    assert state() == (orgs, groups, persons, users, seeds)
