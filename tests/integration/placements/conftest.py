"""Shared set-up for the placement tests: a queue of applications in one district and age group."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories.applications import make_application


@pytest.fixture
def queue():
    """Five general-queue applications registered a day apart (oldest first), notified by SMS in Russian."""
    start = timezone.now() - dt.timedelta(days=30)
    return [make_application(registered_at=start + dt.timedelta(days=i)) for i in range(5)]
