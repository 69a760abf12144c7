"""Leases: claim rows for one worker at a time, portably on PostgreSQL and SQLite.

A claim is one conditional UPDATE (compare-and-set on ``leased_until``): the database's row locking
lets exactly one worker win each row. A worker that dies keeps its rows only until the lease ends.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone


def claim_rows(*, queryset: models.QuerySet, owner: str, lease_seconds: int, limit: int) -> list[models.Model]:
    """Lease up to ``limit`` rows of ``queryset`` whose lease is free or expired, and return them."""
    now = timezone.now()
    free = Q(leased_until__isnull=True) | Q(leased_until__lt=now)
    candidates = list(queryset.filter(free).values_list("pk", flat=True)[:limit])
    if not candidates:
        return []
    until = now + timedelta(seconds=lease_seconds)
    model = queryset.model
    with transaction.atomic():
        model.objects.filter(free, pk__in=candidates).update(leased_until=until, lease_owner=owner)
    return list(model.objects.filter(pk__in=candidates, lease_owner=owner, leased_until=until).order_by("pk"))
