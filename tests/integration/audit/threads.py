"""Running one function from several threads at once, each on its own database connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def run_at_once(func: Callable[[int], Any], threads: int) -> tuple[list[Any], list[BaseException]]:
    """Start ``func(i)`` in ``threads`` threads released together; return their results and errors."""
    start, results, errors = threading.Barrier(threads), [], []

    def run(i: int) -> None:
        try:
            start.wait()
            results.append(func(i))
        except BaseException as exc:  # reported to the test thread by the caller
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join(timeout=120)
    return results, errors
