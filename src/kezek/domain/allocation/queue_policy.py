"""The queue policy: children are served one by one in queue order, each taking their best still-free group.

Queue order: classes below the rotation's first-priority class first (class by class, each in tie-break order);
then the first-priority and general classes interleaved by the rotation (``first_priority`` places to one,
``general`` places to the other, counting only places actually given: a child who finds every chosen group
full does not use a turn; a class that runs out hands its turns to the other); then every other class, class
by class. Without a rotation (or with a ratio of 0 on either side) the queue is simply class by class.
Per-group classes (``group_priority``) play no part: the queue is one order for every group.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from kezek.domain.allocation.model import Rotation
from kezek.domain.rotation import rotates


class _AllPlacesTaken(Exception):
    """Raised by a serving step when no place is left anywhere: the rest of the queue gets nothing."""


def queue_segments(classes: Sequence[int], rotation: Rotation | None) -> tuple[list[int], list[int], list[int], list[int]]:
    """Split positions 0..len-1 of a queue sorted by (class, tie-break) into: before, first-priority, general, after."""
    if rotation is None or not rotates(first=rotation.first_priority, general=rotation.general):
        return list(range(len(classes))), [], [], []
    parts: tuple[list[int], list[int], list[int], list[int]] = ([], [], [], [])
    first, general = rotation.first_priority_class, rotation.general_class
    for position, cls in enumerate(classes):
        part = 0 if cls < first else 1 if cls == first else 2 if cls == general else 3
        parts[part].append(position)
    return parts


def serve_in_queue_order(
    segments: tuple[list[Any], list[Any], list[Any], list[Any]], rotation: Rotation | None, serve: Callable[[Any], bool]
) -> None:
    """Call ``serve`` on each child in queue order; it says whether the child got a place (which uses a turn)."""
    before, first_queue, general_queue, after = segments
    try:
        for child in before:
            serve(child)
        if first_queue or general_queue:
            assert rotation is not None  # only a rotation fills these two queues
            cycle = [True] * rotation.first_priority + [False] * rotation.general
            i = j = turn = 0
            while i < len(first_queue) or j < len(general_queue):
                if j == len(general_queue) or (cycle[turn % len(cycle)] and i < len(first_queue)):
                    child, i = first_queue[i], i + 1
                else:
                    child, j = general_queue[j], j + 1
                if serve(child):
                    turn += 1
        for child in after:
            serve(child)
    except _AllPlacesTaken:
        pass


def serial_dictatorship(
    *, queue: np.ndarray, queue_classes: np.ndarray, rotation: Rotation | None, capacity: np.ndarray,
    pref_start: np.ndarray, pref_group: np.ndarray,
) -> np.ndarray:
    """For each applicant, the index of the preference they got, or -1 (``queue``: applicants by class, tie-break)."""
    free = capacity.tolist()
    remaining = sum(free)
    starts, groups = pref_start.tolist(), pref_group.tolist()
    choice = [-1] * (len(starts) - 1)

    def serve(a: int) -> bool:
        nonlocal remaining
        if not remaining:
            raise _AllPlacesTaken
        start = starts[a]
        for j in range(start, starts[a + 1]):
            if free[groups[j]]:
                free[groups[j]] -= 1
                remaining -= 1
                choice[a] = j - start
                return True
        return False

    applicants = queue.tolist()
    positions = queue_segments(queue_classes.tolist(), rotation)
    serve_in_queue_order(tuple([applicants[p] for p in part] for part in positions), rotation, serve)  # type: ignore[arg-type]
    return np.array(choice, dtype=np.int64)
