import threading
import time

import pytest
from django.db import connection, transaction

from kezek.accounts.models import Role, User
from kezek.domain.bin import build_bin
from kezek.organisations.errors import BinTaken
from kezek.organisations.models import Organisation
from kezek.organisations.services import organisation_create
from tests.factories.geo import district


def wait_until_a_backend_waits_on_a_lock(timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            # Inside a transaction PostgreSQL keeps showing its first snapshot of pg_stat_activity.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
        cursor.execute("SELECT pid, state, wait_event_type, wait_event, left(query, 120) FROM pg_stat_activity WHERE datname = current_database()")
        rows = cursor.fetchall()
    raise AssertionError(f"the second registration never waited on the first one's row: {rows}")


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_registration_racing_an_uncommitted_one_with_the_same_bin_gets_a_conflict_not_a_500():
    yesil = district("astana-yesil")
    officer = User.objects.create_user(username="officer", password="x" * 12, role=Role.OFFICER, district=yesil, is_staff=True)
    bin_ = build_bin("23054000999")
    outcome: list[str] = []

    def register():
        try:
            # The first registration is not committed yet, so the BIN check passes and the insert waits.
            organisation_create(actor=officer, kind="kindergarten", ownership="private", name="Второй",
                                bin=bin_, district=yesil, address="Туран, 1", languages=["ru"])
            outcome.append("created")
        except BinTaken:
            outcome.append("conflict")
        except Exception as exc:  # anything else would be a 500 in production
            outcome.append(repr(exc))
        finally:
            connection.close()

    with transaction.atomic():
        Organisation.objects.create(kind="kindergarten", ownership="state", name="Первый", bin=bin_, district=yesil,
                                    address="Туран, 2", languages=["kk"])
        second = threading.Thread(target=register)
        second.start()
        wait_until_a_backend_waits_on_a_lock()
    second.join(timeout=30)
    assert outcome == ["conflict"]
    assert list(Organisation.objects.filter(bin=bin_).values_list("name", flat=True)) == ["Первый"]
