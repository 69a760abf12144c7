"""The first-priority/general rotation, as numbers a parent can follow.

Children with an extraordinary right are served first. After them, places are offered in cycles of
``first + general`` places: ``first`` places to the head of the first-priority queue, then ``general``
places to the head of the general queue (Astana: 1 and 3). When one of the two queues is empty, its
places go to the other. With a ratio of 0 on either side there is no rotation: first-priority children
are all served before the general queue.
"""

from __future__ import annotations

from dataclasses import dataclass

from kezek.domain.errors import InvalidInput, gettext_noop
from kezek.domain.queue import PriorityClass


class InvalidRotation(InvalidInput):
    code = "invalid_rotation"
    message = gettext_noop("The rotation ratio and counts cannot be negative.")
    hint = gettext_noop("Set the region's rotation to whole numbers of places, for example 1 first-priority place per 3 general places.")


def _check(*numbers: int) -> None:
    if any(n < 0 for n in numbers):
        raise InvalidRotation()


def rotates(*, first: int, general: int) -> bool:
    """Whether the region alternates first-priority and general places at all."""
    return first > 0 and general > 0


def rotation_pattern(*, first: int, general: int, places: int) -> list[PriorityClass]:
    """The class each of the next ``places`` places goes to, when both queues have children waiting."""
    _check(first, general, places)
    if not rotates(first=first, general=general):
        return [PriorityClass.FIRST] * places
    cycle = [PriorityClass.FIRST] * first + [PriorityClass.GENERAL] * general
    return [cycle[i % len(cycle)] for i in range(places)]


def rotation_split(*, first: int, general: int, places: int, first_waiting: int, general_waiting: int) -> tuple[int, int]:
    """How many of ``places`` (after extraordinary-right children) go to first-priority and to general children.

    Places one queue cannot use go to the other; places neither can use stay free.
    """
    _check(first, general, places, first_waiting, general_waiting)
    if rotates(first=first, general=general):
        cycles, rest = divmod(places, first + general)
        to_first = cycles * first + min(rest, first)
        to_general = places - to_first
    else:
        to_first, to_general = places, 0
    # A queue that runs out hands its remaining places to the other one.
    if to_first > first_waiting:
        to_general += to_first - first_waiting
        to_first = first_waiting
    if to_general > general_waiting:
        to_first = min(first_waiting, to_first + to_general - general_waiting)
        to_general = general_waiting
    return to_first, to_general


# "As many as wait": no cap on the other class's count.
UNBOUNDED = 2**62


def other_class_places_before_turn(*, my_class: int, ahead_same_class: int, first: int, general: int) -> int:
    """How many places the other rotating class gets before this child's turn, if it has enough children waiting.

    A caller needs to count the other class's waiting children only up to this number.
    """
    _check(ahead_same_class, first, general)
    my_class = PriorityClass(my_class)
    ordinal = ahead_same_class + 1
    if my_class == PriorityClass.EXTRAORDINARY or (my_class == PriorityClass.FIRST and not rotates(first=first, general=general)):
        return 0
    if not rotates(first=first, general=general):
        # Without rotation every first-priority child is served before the general queue.
        return UNBOUNDED
    if my_class == PriorityClass.FIRST:
        # Every full cycle before this child's cycle gave ``general`` places to the general queue.
        return ((ordinal - 1) // first) * general
    # Each cycle opens with first-priority places, including the cycle of this child's turn.
    return ((ordinal - 1) // general + 1) * first


def places_until_turn(
    *, my_class: int, ahead_same_class: int, extraordinary_waiting: int, other_class_waiting: int, first: int, general: int
) -> int:
    """How many places must be offered in the age group until this child's turn, if nobody new arrives.

    ``extraordinary_waiting`` counts extraordinary-right children ahead; ``other_class_waiting`` counts the children
    waiting in the other rotating class (general for a first-priority child, first-priority for a general one);
    it may be capped at ``other_class_places_before_turn``.
    """
    _check(ahead_same_class, extraordinary_waiting, other_class_waiting, first, general)
    ordinal = ahead_same_class + 1
    if PriorityClass(my_class) == PriorityClass.EXTRAORDINARY:
        return ordinal
    other = other_class_places_before_turn(my_class=my_class, ahead_same_class=ahead_same_class, first=first, general=general)
    return extraordinary_waiting + ordinal + min(other_class_waiting, other)


@dataclass(frozen=True)
class RotationExplanation:
    """The numbers behind the sentence on the position page."""

    first: int
    general: int
    rotates: bool
    cycle: list[PriorityClass]
    my_class: PriorityClass
    position: int
    places_until_turn: int


def explain_rotation(
    *, first: int, general: int, my_class: int, ahead_by_class: dict[int, int], other_class_waiting: int
) -> RotationExplanation:
    """The rotation rule and what it means for one child: places needed until their turn versus the strict order."""
    my_class = PriorityClass(my_class)
    ahead = {c: ahead_by_class.get(int(c), 0) for c in PriorityClass}
    return RotationExplanation(
        first=first,
        general=general,
        rotates=rotates(first=first, general=general),
        cycle=rotation_pattern(first=first, general=general, places=first + general),
        my_class=my_class,
        position=sum(ahead.values()) + 1,
        places_until_turn=places_until_turn(
            my_class=my_class,
            ahead_same_class=ahead[my_class],
            extraordinary_waiting=ahead[PriorityClass.EXTRAORDINARY],
            other_class_waiting=other_class_waiting,
            first=first,
            general=general,
        ),
    )
