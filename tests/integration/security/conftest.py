"""The ``world`` fixture: a fresh authorisation test world per test (see ``world.py``), documents in a temporary folder."""

from __future__ import annotations

import pytest

from tests.integration.security.world import World, build_world


@pytest.fixture
def private_media(settings, tmp_path):
    """Documents go to a fresh private folder per test."""
    settings.MEDIA_ROOT = str(tmp_path / "private")
    return tmp_path / "private"


@pytest.fixture
def world(db, private_media) -> World:
    """A fresh world (rolled back after the test): use it for writes, or when a test needs its own copy."""
    return build_world()
