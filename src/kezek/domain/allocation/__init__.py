"""The allocation engine: who gets which place in a round, by the public format "kezek.allocation/1".

Pure functions over an ``AllocationInput``; ``kezek allocate IN.json OUT.json`` runs them on a file, and
docs/allocation-format.md describes the format, both policies and how to re-run a published round.
"""

from kezek.domain.allocation.engine import allocate, group_order
from kezek.domain.allocation.model import (
    INPUT_FORMAT,
    RESULT_FORMAT,
    AllocationInput,
    AllocationResult,
    Applicant,
    Group,
    InvalidAllocationInput,
    Rotation,
    input_to_json_bytes,
    parse_allocation_input,
    result_to_json_bytes,
)

__all__ = [
    "INPUT_FORMAT",
    "RESULT_FORMAT",
    "AllocationInput",
    "AllocationResult",
    "Applicant",
    "Group",
    "InvalidAllocationInput",
    "Rotation",
    "allocate",
    "group_order",
    "input_to_json_bytes",
    "parse_allocation_input",
    "result_to_json_bytes",
]
