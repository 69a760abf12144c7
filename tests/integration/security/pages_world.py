"""The pages' world: helper A's ``build_world()`` plus what only the HTML pages need.

Added on top of ``world.py`` (never edited here):

- ``flag``: an open integrity flag in district A (the officers' review page takes its id);
- unique first names for the parent's four children, so a page that shows one of them can be caught by its name;
- ``world.markers``: strings that only a page showing the parent's records contains (children's IINs and names,
  the voucher and referral numbers, the appeal's text).

The attendance check-in code changes every 30 seconds, so tests ask for it with ``checkin_path(world)`` when they run.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.utils import timezone

from kezek.integrity.models import IntegrityFlag
from tests.integration.security.world import World, build_world

CHILD_KEYS = ("child", "enrolled_child", "voucher_child", "referral_child")


def _unique_names(world: World) -> list[str]:
    names = []
    for key in CHILD_KEYS:
        child = world.objects[key]
        child.first_name = f"Секрет{secrets.token_hex(3)}"
        child.save(update_fields=["first_name"])
        names.append(child.first_name)
    return names


def _flag(world: World) -> IntegrityFlag:
    return IntegrityFlag.objects.create(
        kind=IntegrityFlag.Kind.values[0], fingerprint=f"pages-{secrets.token_hex(8)}", subject="pages-world",
        evidence={}, district=world.district, organisation=world.org, group=world.group, child=world.enrolled_child,
    )


def _round_times(world: World) -> None:
    # The factory's rounds carry no phase times; a real round always has them (its form requires them).
    now = timezone.now()
    for key in ("round", "referral_round"):
        found = world.objects[key]
        found.offers_close_at, found.open_to_all_at = now + dt.timedelta(days=3), now + dt.timedelta(days=4)
        found.save(update_fields=["offers_close_at", "open_to_all_at"])


def build_pages_world() -> World:
    """``build_world()`` and the extra rows and markers above."""
    world = build_world()
    names = _unique_names(world)
    _round_times(world)
    world.objects["flag"] = _flag(world)
    world.ids["flag"] = world.objects["flag"].pk
    world.ids["region_code"] = world.district.region.code
    # Not the application's public id: it is pseudonymous and published in the round's input and result by design.
    world.markers = [
        *names,
        *(world.objects[key].iin for key in CHILD_KEYS),
        world.voucher.number,
        world.referral.number,
        world.appeal.text,
    ]
    return world


def checkin_path(world: World) -> str:
    """The check-in address the section's QR code shows right now (session, window, code)."""
    from kezek.attendance.services.checkins import checkin_code_current

    return checkin_code_current(actor=world.users["provider_staff"], session=world.session).path
