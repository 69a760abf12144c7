"""Cross-check of the match policy against the ``matching`` package (HospitalResident, resident-optimal)."""

from __future__ import annotations

import random

from matching.games import HospitalResident

from kezek.domain.allocation import AllocationInput, allocate
from tests.unit.domain.allocation_reference import class_at, tie_key
from tests.unit.domain.allocation_strategies import random_match_instance


def solve_with_matching(instance: AllocationInput) -> dict[str, str | None]:
    residents = {a.id: list(a.preferences) for a in instance.applicants}
    hospitals = {}
    for group in instance.groups:
        listing = [a for a in instance.applicants if group.id in a.preferences]
        if listing:
            hospitals[group.id] = [a.id for a in sorted(listing, key=lambda a: (class_at(a, group.id), tie_key(instance, a)))]
    # Every applicant lists at least one group, so every listed group is a hospital with a ranking.
    game = HospitalResident.create_from_dictionaries(
        residents, hospitals, {g.id: g.capacity for g in instance.groups if g.id in hospitals}
    )
    solution: dict[str, str | None] = {a.id: None for a in instance.applicants}
    for hospital, matched in game.solve(optimal="resident").items():
        for resident in matched:
            solution[str(resident)] = str(hospital)
    return solution


def test_identical_assignments_on_200_random_instances():
    rng = random.Random(20261123)
    for _ in range(200):
        instance = random_match_instance(rng)
        assert allocate(instance).assignments == solve_with_matching(instance)
