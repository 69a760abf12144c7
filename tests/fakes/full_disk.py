"""A real, nearly full file system for tests of uploads on a full disk: a small tmpfs, filled up.

``full_tmpfs(path)`` mounts a 1 MB tmpfs on ``path`` (it must exist and be empty), fills it with one file
named ``filler`` until ``left_free`` bytes remain, and unmounts it afterwards; writes then start and run
out of space part-way, as on a full production disk. Mounting needs root: elsewhere the test is skipped.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

FILLER = "filler"


@contextmanager
def full_tmpfs(path: Path, *, size: str = "1m", left_free: int = 16 * 1024) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        filler = path / FILLER
        with filler.open("wb") as out:
            try:
                while True:
                    out.write(b"\0" * 65536)
                    out.flush()
            except OSError:  # full: the last, partly written chunk is what the file holds
                pass
        os.truncate(filler, max(0, filler.stat().st_size - left_free))
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def documents_in(path: Path) -> list[Path]:
    """Every file under ``path`` but the filler."""
    return sorted(p for p in path.rglob("*") if p.is_file() and p.name != FILLER)
