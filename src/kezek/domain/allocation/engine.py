"""Running an allocation: the policy on the whole instance, and a group's order for passing a place on."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from kezek.domain.allocation.compiled import Compiled, compile_instance, preference_keys, tie_break_key
from kezek.domain.allocation.match import Progress, deferred_acceptance
from kezek.domain.allocation.model import AllocationInput, AllocationResult, InvalidAllocationInput
from kezek.domain.allocation.queue_policy import queue_segments, serial_dictatorship, serve_in_queue_order
from kezek.domain.errors import gettext_noop


def _counts(values: np.ndarray) -> dict[str, int]:
    classes, counts = np.unique(values, return_counts=True)
    return {str(c): int(k) for c, k in zip(classes.tolist(), counts.tolist(), strict=True)}


def _stats(instance: AllocationInput, compiled: Compiled, choice: np.ndarray) -> dict[str, Any]:
    got = choice >= 0
    assigned = int(got.sum())
    places = int(compiled.capacity.sum())
    return {
        "policy": instance.policy,
        "tie_break": instance.tie_break,
        "applicants": compiled.n,
        "groups": len(compiled.group_ids),
        "places": places,
        "assigned": assigned,
        "unassigned": compiled.n - assigned,
        "free_places": places - assigned,
        "applicants_by_priority": _counts(compiled.base_class),
        "assigned_by_priority": _counts(compiled.base_class[got]),
        "assigned_by_choice": _counts(choice[got] + 1),
    }


def allocate(instance: AllocationInput, *, progress: Progress | None = None) -> AllocationResult:
    """Give the round's places (rule: the instance's policy, ``match`` or ``queue``, ties by its tie-break)."""
    started, started_cpu = time.perf_counter(), time.process_time()
    compiled = compile_instance(instance)
    if instance.policy == "match":
        keys, key_span = preference_keys(instance, compiled)
        choice = deferred_acceptance(
            capacity=compiled.capacity, pref_start=compiled.pref_start, pref_group=compiled.pref_group, pref_key=keys,
            key_span=key_span, progress=progress,
        )
    else:
        queue = np.lexsort((compiled.tie_rank, compiled.base_class))
        choice = serial_dictatorship(
            queue=queue, queue_classes=compiled.base_class[queue], rotation=instance.rotation,
            capacity=compiled.capacity, pref_start=compiled.pref_start, pref_group=compiled.pref_group,
        )
    # -1 (no place) picks the trailing None.
    names: list[str | None] = [*compiled.group_ids, None]
    flat = np.where(choice >= 0, compiled.pref_start[:-1] + choice, len(compiled.pref_group))
    group_of = np.append(compiled.pref_group, -1)[flat]
    assignments = dict(zip((a.id for a in instance.applicants), [names[g] for g in group_of.tolist()], strict=True))
    stats = _stats(instance, compiled, choice)
    stats["solve_seconds"] = round(time.perf_counter() - started, 3)
    stats["solve_cpu_seconds"] = round(time.process_time() - started_cpu, 3)
    return AllocationResult(assignments=assignments, stats=stats)


def group_order(instance: AllocationInput, group_id: str) -> list[str]:
    """Who is next for a place in a group (rule: a declined or expired place goes on by the same policy).

    The ids of the applicants who list the group, in the order the policy serves them there: by class at this
    group then tie-break (``match``), or in queue order with the rotation, each child taking one place (``queue``).
    """
    if group_id not in {g.id for g in instance.groups}:
        raise InvalidAllocationInput(gettext_noop("%(group)s is not a group of this round."), group=group_id)
    listing = [a for a in instance.applicants if group_id in a.preferences]
    tie = tie_break_key(instance, listing)
    if instance.policy == "match":
        order = sorted(range(len(listing)), key=lambda i: (listing[i].group_priority.get(group_id, listing[i].priority), tie[i]))
        return [listing[i].id for i in order]
    order = sorted(range(len(listing)), key=lambda i: (listing[i].priority, tie[i]))
    segments = queue_segments([listing[i].priority for i in order], instance.rotation)
    served: list[str] = []

    def serve(applicant_id: str) -> bool:
        served.append(applicant_id)
        return True

    serve_in_queue_order(tuple([listing[order[p]].id for p in part] for part in segments), instance.rotation, serve)  # type: ignore[arg-type]
    return served
