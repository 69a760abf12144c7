"""Hypothesis strategies and a seeded generator for small allocation instances."""

from __future__ import annotations

import random

from hypothesis import strategies as st

from kezek.domain.allocation import AllocationInput, parse_allocation_input

# Few distinct times, so that registration ties (broken by id) are common.
MOMENTS = ["2024-01-01T09:00:00+05:00", "2024-01-01T04:00:00Z", "2024-01-01T04:00:00", "2024-01-02", "2023-12-31T23:59:59.5+05:00"]


@st.composite
def instances(draw, *, policy: str | None = None, max_groups: int = 6, max_applicants: int = 25) -> AllocationInput:
    groups = [f"g{i}" for i in range(draw(st.integers(1, max_groups)))]
    capacities = draw(st.lists(st.integers(0, 4), min_size=len(groups), max_size=len(groups)))
    ids = draw(st.lists(st.text("abcXYZ019-", min_size=1, max_size=4), max_size=max_applicants, unique=True))
    applicants = []
    for applicant_id in ids:
        preferences = draw(st.permutations(groups).flatmap(lambda p: st.integers(0, len(p)).map(lambda k: p[:k])))
        record = {
            "id": applicant_id,
            "priority": draw(st.integers(0, 3)),
            "registered_at": draw(st.sampled_from(MOMENTS)),
            "preferences": list(preferences),
        }
        if preferences and draw(st.booleans()):
            record["group_priority"] = {draw(st.sampled_from(groups)): draw(st.integers(0, 3))}
        applicants.append(record)
    data = {
        "format": "kezek.allocation/1",
        "seed": draw(st.binary(min_size=1, max_size=40)).hex(),
        "tie_break": draw(st.sampled_from(["lottery", "registered_at"])),
        "policy": policy or draw(st.sampled_from(["match", "queue"])),
        "groups": [{"id": g, "capacity": c} for g, c in zip(groups, capacities, strict=True)],
        "applicants": applicants,
    }
    if data["policy"] == "queue" and draw(st.booleans()):
        data["rotation"] = {
            "first_priority_class": draw(st.integers(0, 1)),
            "general_class": draw(st.integers(2, 3)),
            "first_priority": draw(st.integers(0, 3)),
            "general": draw(st.integers(0, 3)),
        }
    return parse_allocation_input(data)


def random_match_instance(rng: random.Random, *, max_applicants: int = 60, max_groups: int = 10) -> AllocationInput:
    """A seeded random instance for the match policy with lottery ties (for the cross-check with ``matching``)."""
    groups = [f"G{i}" for i in range(rng.randint(1, max_groups))]
    applicants = []
    for i in range(rng.randint(1, max_applicants)):
        preferences = rng.sample(groups, rng.randint(1, min(5, len(groups))))
        record = {
            "id": f"P{i:03d}-{rng.randrange(10**6)}",
            "priority": rng.choice([0, 1, 1, 2, 2, 2, 2]),
            "registered_at": rng.choice(MOMENTS),
            "preferences": preferences,
        }
        if rng.random() < 0.15:
            record["group_priority"] = {rng.choice(preferences): rng.choice([0, 1])}
        applicants.append(record)
    return parse_allocation_input(
        {
            "format": "kezek.allocation/1",
            "seed": rng.randbytes(32).hex(),
            "tie_break": "lottery",
            "groups": [{"id": g, "capacity": rng.randint(1, 6)} for g in groups],
            "applicants": applicants,
        }
    )
