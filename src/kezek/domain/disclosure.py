"""Rules for publishing figures about children without exposing any one child.

Statistical disclosure control: a count under ``SMALL_COUNT`` (5) can point at a family in a small district,
so published tables show it as suppressed, never the number. Zero is safe to show: it identifies nobody.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

SMALL_COUNT = 5


def suppress_small(count: int, *, threshold: int = SMALL_COUNT) -> int | None:
    """The count if it may be published, ``None`` when it is between 1 and ``threshold - 1`` (rule: small counts hidden)."""
    if 0 < count < threshold:
        return None
    return count


@dataclass(frozen=True)
class Bar:
    label: str
    value: int | None
    width: float  # share of the longest bar, 0..100 (percent), so the chart needs no JavaScript


def bars(rows: Sequence[tuple[str, int | None]]) -> list[Bar]:
    """Horizontal bar widths in percent of the largest published value; suppressed values draw no bar."""
    largest = max((value for _, value in rows if value), default=0)
    return [
        Bar(label, value, round(100 * value / largest, 1) if value and largest else 0.0)
        for label, value in rows
    ]
