"""``kezek allocate IN OUT``: runs the engine on a file, byte-identical with --reproducible, clear errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kezek.domain.lottery import lottery_number
from tests.subprocesses import kezek_command

SEED = "c0ffee" * 10 + "c0ffee00"


@pytest.fixture(autouse=True)
def english_terminal(monkeypatch):
    """The command speaks the terminal's language; these tests read its English messages."""
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


def round_input(**extra) -> dict:
    applicants = [
        {"id": f"K-{i:03d}", "priority": [0, 1, 2, 2][i % 4], "registered_at": f"2024-02-{1 + i % 27:02d}T08:00:00+05:00",
         "preferences": ["Күн", "Ай", "Жұлдыз"][i % 3 :]}
        for i in range(40)
    ]
    return {
        "format": "kezek.allocation/1",
        "seed": SEED,
        "tie_break": "lottery",
        "groups": [{"id": "Күн", "capacity": 5}, {"id": "Ай", "capacity": 10}, {"id": "Жұлдыз", "capacity": 3}],
        "applicants": applicants,
    } | extra


@pytest.fixture
def input_file(tmp_path: Path) -> Path:
    path = tmp_path / "round-input.json"
    path.write_text(json.dumps(round_input(), ensure_ascii=False), encoding="utf-8")
    return path


def test_reproducible_runs_are_byte_identical(input_file: Path, tmp_path: Path):
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    call_command("allocate", str(input_file), str(first), "--reproducible")
    call_command("allocate", str(input_file), str(second), "--reproducible")
    assert first.read_bytes() == second.read_bytes()
    result = json.loads(first.read_bytes())
    assert result["format"] == "kezek.allocation-result/1"
    assert "solve_seconds" not in result["stats"] and result["stats"]["assigned"] == 18
    assert len(result["assignments"]) == 40
    # Class 0 children are served first at every group, and there are fewer of them than places.
    assert all(result["assignments"][f"K-{i:03d}"] for i in range(0, 40, 4))


def test_without_reproducible_the_stats_carry_the_solve_time(input_file: Path, tmp_path: Path):
    out = tmp_path / "result.json"
    call_command("allocate", str(input_file), str(out))
    assert json.loads(out.read_bytes())["stats"]["solve_seconds"] >= 0


def test_progress_goes_to_standard_error(input_file: Path, tmp_path: Path, capsys):
    call_command("allocate", str(input_file), str(tmp_path / "r.json"), "--progress")
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "checked 40 applicants and 3 groups (match policy)" in captured.err and "solved in" in captured.err


def test_standard_input_and_output(monkeypatch, capsysbinary):
    stdin = io.TextIOWrapper(io.BytesIO(json.dumps(round_input(policy="queue")).encode()))
    monkeypatch.setattr(sys, "stdin", stdin)
    call_command("allocate", "-", "-", "--reproducible")
    result = json.loads(capsysbinary.readouterr().out)
    assert result["stats"]["policy"] == "queue" and result["stats"]["assigned"] == 18


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "is not valid JSON in UTF-8"),
        (b"\xff\xfe", "is not valid JSON in UTF-8"),
        (json.dumps(round_input(format="x")).encode(), 'format must be "kezek.allocation/1"'),
        (json.dumps(round_input(tie_break="coin")).encode(), "tie_break must be one of: lottery, registered_at"),
    ],
)
def test_bad_files_give_a_clear_error(tmp_path: Path, content: bytes, message: str):
    path, out = tmp_path / "in.json", tmp_path / "out.json"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        call_command("allocate", str(path), str(out))
    assert not out.exists()


def test_unreadable_and_unwritable_paths(input_file: Path, tmp_path: Path):
    with pytest.raises(CommandError, match="Cannot read .*missing.json"):
        call_command("allocate", str(tmp_path / "missing.json"), str(tmp_path / "out.json"))
    with pytest.raises(CommandError, match="Cannot write .*no-such-dir"):
        call_command("allocate", str(input_file), str(tmp_path / "no-such-dir" / "out.json"))


def test_the_console_script_exits_cleanly(input_file: Path, tmp_path: Path):
    out = tmp_path / "out.json"
    done = subprocess.run([*kezek_command(), "allocate", str(input_file), str(out), "--reproducible"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    call_command("allocate", str(input_file), str(tmp_path / "again.json"), "--reproducible")
    assert out.read_bytes() == (tmp_path / "again.json").read_bytes()

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(round_input(applicants=[{"id": "K-1", "priority": 2, "registered_at": "soon", "preferences": []}])))
    done = subprocess.run([*kezek_command(), "allocate", str(bad), str(out)], capture_output=True, text=True)
    assert done.returncode == 1
    assert "applicants[0].registered_at must be an ISO 8601 date and time" in done.stderr
    assert "Traceback" not in done.stderr


def test_lottery_numbers_in_the_result_can_be_checked_by_hand(input_file: Path, tmp_path: Path):
    out = tmp_path / "out.json"
    call_command("allocate", str(input_file), str(out), "--reproducible")
    assignments = json.loads(out.read_bytes())["assignments"]
    seed = bytes.fromhex(SEED)
    rank = {f"K-{i:03d}": ([0, 1, 2, 2][i % 4], lottery_number(seed, f"K-{i:03d}")) for i in range(40)}
    # Children 2, 5, 8, ... chose only Жұлдыз (3 places): each one left out ranks after every child holding a place
    # there (by class, then the lower lottery number), as anyone can check from the published seed.
    holders = [x for x, g in assignments.items() if g == "Жұлдыз"]
    left_out = [f"K-{i:03d}" for i in range(2, 40, 3) if assignments[f"K-{i:03d}"] is None]
    assert len(holders) == 3 and left_out
    assert all(rank[h] < rank[x] for h in holders for x in left_out)


def test_messages_follow_the_terminal_language(tmp_path: Path, monkeypatch):
    path = tmp_path / "in.json"
    path.write_text('{"format": "nope"}')
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    with pytest.raises(CommandError) as russian:
        call_command("allocate", str(path), str(tmp_path / "out.json"))
    monkeypatch.setenv("LANGUAGE", "kk:ru")
    with pytest.raises(CommandError) as kazakh:
        call_command("allocate", str(path), str(tmp_path / "out.json"))
    assert russian.value.args[0] != kazakh.value.args[0]
    assert "docs/allocation-format.md" in russian.value.args[0] and "kezek.allocation/1" in kazakh.value.args[0]
