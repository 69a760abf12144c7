"""``kezek audit <subcommand>``: operations on the audit trail."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from kezek.audit.selectors import audit_verify
from kezek.domain.audit_chain import HEAD_MISSING, ChainReport


def report_line(report: ChainReport) -> str:
    """One line an operator can act on: OK with the head hash, or the first broken event."""
    if report.ok:
        return f"OK: {report.events} events, head {report.head_hash}"
    problem = report.first_break
    if problem.problem == HEAD_MISSING:
        return f"BROKEN: the chain head record is missing (the chain ends at event seq {problem.seq})"
    return f"BROKEN: event seq {problem.seq} was {problem.problem} ({problem.detail})"


class Command(BaseCommand):
    help = "Audit trail operations. 'verify' walks the hash chain and names the first broken event."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, parser_class=type(parser))
        verify = sub.add_parser("verify", help="Verify the hash chain; exit 1 and name the first broken event.")
        verify.add_argument("--batch", type=int, default=5000, help="Events read per query (default 5000).")

    def handle(self, *args, subcommand: str, **options) -> None:
        if subcommand == "verify":
            self.verify(batch=options["batch"])

    def verify(self, *, batch: int) -> None:
        report = audit_verify(batch=batch)
        self.stdout.write(report_line(report))
        if not report.ok:
            # Non-zero exit so cron and CI notice; the line above says what broke.
            raise SystemExit(1)
