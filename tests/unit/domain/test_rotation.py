"""The first-priority/general rotation: pattern, split of places, and a child's turn."""

from __future__ import annotations

import itertools

import pytest

from kezek.domain.queue import PriorityClass
from kezek.domain.rotation import (
    InvalidRotation,
    other_class_places_before_turn,
    explain_rotation,
    places_until_turn,
    rotates,
    rotation_pattern,
    rotation_split,
)

F, G = PriorityClass.FIRST, PriorityClass.GENERAL


def simulate_turn(*, my_class, ahead_same_class, extraordinary_waiting, other_class_waiting, first, general) -> int:
    """Offer places one by one, as an allocation would, until the child is served."""
    queues = {PriorityClass.EXTRAORDINARY: extraordinary_waiting, F: 0, G: 0}
    queues[PriorityClass(my_class)] = ahead_same_class + 1  # the child is the last one of their class counted here
    if my_class == F:
        queues[G] = other_class_waiting
    elif my_class == G:
        queues[F] = other_class_waiting
    cycle = rotation_pattern(first=first, general=general, places=first + general) or [F]
    slot = 0
    for place in itertools.count(1):
        if queues[PriorityClass.EXTRAORDINARY]:
            served = PriorityClass.EXTRAORDINARY
        else:
            wanted = cycle[slot % len(cycle)] if rotates(first=first, general=general) else F
            slot += 1
            served = wanted if queues[wanted] else (G if wanted == F else F)
        queues[served] -= 1
        if served == my_class and queues[served] == 0:
            return place
    raise AssertionError("unreachable")


def test_pattern_astana_one_in_four():
    assert rotation_pattern(first=1, general=3, places=9) == [F, G, G, G, F, G, G, G, F]


def test_pattern_two_to_three():
    assert rotation_pattern(first=2, general=3, places=6) == [F, F, G, G, G, F]


def test_pattern_without_rotation_is_strict_order():
    assert rotation_pattern(first=0, general=3, places=3) == [F, F, F]
    assert rotation_pattern(first=1, general=0, places=2) == [F, F]
    assert rotates(first=0, general=0) is False


def test_negative_numbers_are_refused():
    with pytest.raises(InvalidRotation):
        rotation_pattern(first=-1, general=3, places=1)
    with pytest.raises(InvalidRotation):
        rotation_split(first=1, general=3, places=4, first_waiting=-1, general_waiting=0)
    with pytest.raises(InvalidRotation):
        places_until_turn(my_class=1, ahead_same_class=-2, extraordinary_waiting=0, other_class_waiting=0, first=1, general=3)


def test_split_follows_the_ratio_when_both_queues_are_long():
    assert rotation_split(first=1, general=3, places=10, first_waiting=100, general_waiting=100) == (3, 7)
    assert rotation_split(first=1, general=3, places=8, first_waiting=100, general_waiting=100) == (2, 6)


def test_split_hands_unused_first_places_to_general():
    assert rotation_split(first=1, general=3, places=8, first_waiting=1, general_waiting=100) == (1, 7)


def test_split_hands_unused_general_places_to_first():
    assert rotation_split(first=1, general=3, places=8, first_waiting=100, general_waiting=2) == (6, 2)


def test_split_leaves_places_free_when_nobody_waits():
    assert rotation_split(first=1, general=3, places=8, first_waiting=1, general_waiting=2) == (1, 2)


def test_split_without_rotation_serves_first_priority_first():
    assert rotation_split(first=0, general=0, places=5, first_waiting=3, general_waiting=10) == (3, 2)


def test_extraordinary_child_waits_only_for_extraordinary_ones():
    assert places_until_turn(my_class=0, ahead_same_class=4, extraordinary_waiting=4, other_class_waiting=50, first=1, general=3) == 5


@pytest.mark.parametrize("first,general", [(1, 3), (2, 3), (1, 1), (0, 3), (1, 0)])
@pytest.mark.parametrize("my_class", [PriorityClass.EXTRAORDINARY, F, G])
@pytest.mark.parametrize("ahead_same_class", [0, 1, 2, 5, 11])
@pytest.mark.parametrize("other", [0, 1, 4, 30])
def test_turn_matches_offering_places_one_by_one(first, general, my_class, ahead_same_class, other):
    extraordinary = 0 if my_class == PriorityClass.EXTRAORDINARY else 2
    if my_class == PriorityClass.EXTRAORDINARY:
        extraordinary = ahead_same_class
    kwargs = dict(
        my_class=my_class, ahead_same_class=ahead_same_class, extraordinary_waiting=extraordinary,
        other_class_waiting=other, first=first, general=general,
    )
    assert places_until_turn(**kwargs) == simulate_turn(**kwargs)


def test_first_priority_child_in_astana():
    # 2 extraordinary, then F G G G F G G G F: the third first-priority child gets the 9th rotating place.
    assert places_until_turn(my_class=1, ahead_same_class=2, extraordinary_waiting=2, other_class_waiting=100, first=1, general=3) == 11


def test_general_child_in_astana():
    # F G G G F G: the fifth general child (4 ahead) gets the 7th place; 2 first-priority places come before.
    assert places_until_turn(my_class=2, ahead_same_class=4, extraordinary_waiting=0, other_class_waiting=100, first=1, general=3) == 7


def test_explanation_numbers():
    explanation = explain_rotation(first=1, general=3, my_class=2, ahead_by_class={0: 1, 1: 10, 2: 4}, other_class_waiting=10)
    assert explanation.rotates is True
    assert explanation.cycle == [F, G, G, G]
    assert explanation.position == 16  # strict order: 1 + 10 + 4 ahead
    assert explanation.places_until_turn == 1 + 5 + 2  # extraordinary, 5th general, 2 first-priority places before
    assert explanation.my_class == G


def test_explanation_with_missing_classes():
    explanation = explain_rotation(first=0, general=0, my_class=1, ahead_by_class={}, other_class_waiting=7)
    assert explanation.cycle == []
    assert explanation.position == 1
    assert explanation.places_until_turn == 1


def test_other_class_places_before_turn():
    assert other_class_places_before_turn(my_class=0, ahead_same_class=9, first=1, general=3) == 0
    assert other_class_places_before_turn(my_class=1, ahead_same_class=2, first=1, general=3) == 6
    assert other_class_places_before_turn(my_class=2, ahead_same_class=4, first=1, general=3) == 2
    assert other_class_places_before_turn(my_class=1, ahead_same_class=2, first=0, general=3) == 0
    assert other_class_places_before_turn(my_class=2, ahead_same_class=0, first=1, general=0) >= 10**18
    with pytest.raises(InvalidRotation):
        other_class_places_before_turn(my_class=2, ahead_same_class=-1, first=1, general=3)
