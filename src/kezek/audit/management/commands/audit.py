"""``kezek audit <subcommand>``: operations on the audit trail."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kezek.audit.selectors import audit_verify, audit_verify_checkpoints, checkpoint_record
from kezek.audit.services import audit_checkpoint_publish
from kezek.domain.audit_chain import (
    CHECKPOINT_BROKEN_BEFORE,
    CHECKPOINT_MISSING,
    HEAD_MISSING,
    ChainReport,
    CheckpointFailure,
    InvalidCheckpointFile,
    parse_checkpoints,
)


def report_line(report: ChainReport) -> str:
    """One line an operator can act on: OK with the head hash, or the first broken event."""
    if report.ok:
        return f"OK: {report.events} events, head {report.head_hash}"
    problem = report.first_break
    if problem.problem == HEAD_MISSING:
        return f"BROKEN: the chain head record is missing (the chain ends at event seq {problem.seq})"
    return f"BROKEN: event seq {problem.seq} was {problem.problem} ({problem.detail})"


def checkpoint_line(failure: CheckpointFailure, report: ChainReport) -> str:
    """One line per published checkpoint the chain no longer extends: seq, expected and found hash."""
    seq, expected = failure.checkpoint.seq, failure.checkpoint.hash
    if failure.problem == CHECKPOINT_MISSING:
        return f"CHECKPOINT FAILED: seq {seq}: expected {expected}, found missing (no event at this seq)"
    if failure.problem == CHECKPOINT_BROKEN_BEFORE:
        return (f"CHECKPOINT FAILED: seq {seq}: expected {expected}, found {failure.found} "
                f"(same hash, but the chain breaks before it at seq {report.first_break.seq})")
    return f"CHECKPOINT FAILED: seq {seq}: expected {expected}, found {failure.found} (history was rewritten)"


class Command(BaseCommand):
    help = "Audit trail operations: 'verify' walks the hash chain; 'checkpoint' publishes a checkpoint now."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, parser_class=type(parser))
        verify = sub.add_parser("verify", help="Verify the hash chain; exit 1 and name the first broken event.")
        verify.add_argument("--batch", type=int, default=5000, help="Events read per query (default 5000).")
        verify.add_argument(
            "--checkpoints", metavar="FILE",
            help="Also prove the chain extends every checkpoint in FILE (checkpoints.json or .csv as downloaded).",
        )
        sub.add_parser("checkpoint", help="Publish a checkpoint of the chain now and print it as JSON.")

    def handle(self, *args, subcommand: str, **options) -> None:
        if subcommand == "verify" and options["checkpoints"]:
            self.verify_checkpoints(path=Path(options["checkpoints"]), batch=options["batch"])
        elif subcommand == "verify":
            self.verify(batch=options["batch"])
        else:
            self.checkpoint()

    def verify(self, *, batch: int) -> None:
        report = audit_verify(batch=batch)
        self.stdout.write(report_line(report))
        if not report.ok:
            # Non-zero exit so cron and CI notice; the line above says what broke.
            raise SystemExit(1)

    def verify_checkpoints(self, *, path: Path, batch: int) -> None:
        try:
            checkpoints = parse_checkpoints(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read the checkpoint file {path}: {exc}") from None
        except InvalidCheckpointFile as exc:
            raise CommandError(f"{path}: {exc}") from None
        result = audit_verify_checkpoints(checkpoints=checkpoints, batch=batch)
        self.stdout.write(report_line(result.chain))
        for failure in result.failures:
            self.stdout.write(checkpoint_line(failure, result.chain))
        if result.failures:
            self.stdout.write(f"CHECKPOINTS FAILED: {len(result.failures)} of {result.checked} checkpoints are not on the chain")
        else:
            self.stdout.write(f"OK: all {result.checked} checkpoints are on the chain")
        if not result.ok:
            raise SystemExit(1)

    def checkpoint(self) -> None:
        checkpoint, created = audit_checkpoint_publish()
        if checkpoint is None:
            self.stderr.write("No audit events yet: nothing to checkpoint.")
            return
        if not created:
            self.stderr.write("No new events since the latest checkpoint; it is printed again.")
        self.stdout.write(json.dumps(checkpoint_record(checkpoint), separators=(",", ":")))
