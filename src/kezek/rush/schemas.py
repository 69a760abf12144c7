"""Request and response shapes of the rush API."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema


class PoolOut(Schema):
    key: str
    title: str
    capacity: int
    remaining: int


class OpeningOut(Schema):
    slug: str
    title: str
    opens_at: datetime
    server_time: datetime
    remaining: int
    pools: list[PoolOut]


class StatusOut(Schema):
    opening: str
    opens_at: datetime
    state: str
    position: int | None
    estimated_wait_seconds: int | None
    in_room: int
    admitted_at: datetime | None
    token: str
    token_expires_at: datetime | None
    continue_url: str
    poll_after_seconds: int | None
