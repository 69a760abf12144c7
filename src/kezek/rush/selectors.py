"""Reading openings and their pools (the public, live remaining places)."""

from __future__ import annotations

from typing import Any

from kezek.rush import errors
from kezek.rush.models import Opening, Pool


def opening_by_slug(*, slug: str) -> Opening:
    """The opening with this address name, or OpeningNotFound."""
    opening = Opening.objects.filter(slug=slug).first()
    if opening is None:
        raise errors.OpeningNotFound()
    return opening


def opening_pools(*, opening: Opening) -> list[Pool]:
    """The opening's pools in a stable order, with their capacity and places taken as committed now."""
    return list(Pool.objects.filter(opening=opening).order_by("key", "pk"))


def opening_public(*, opening: Opening) -> dict[str, Any]:
    """What anyone may see of an opening: its time and the places left in each pool."""
    pools = opening_pools(opening=opening)
    return {
        "slug": opening.slug,
        "title": opening.title,
        "opens_at": opening.opens_at,
        "pools": [{"key": p.key, "title": p.title, "capacity": p.capacity, "remaining": p.remaining} for p in pools],
        "remaining": sum(p.remaining for p in pools),
    }
