import gc
import json
import sys
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from kezek.core.cli import cli_language

from kezek.core.errors import error_text
from kezek.domain.allocation import allocate, parse_allocation_input, result_to_json_bytes
from kezek.domain.errors import DomainError


class Command(BaseCommand):
    help = (
        "Run an allocation on a file in the public format (docs/allocation-format.md) and write the result. "
        "Re-running a published round with --reproducible gives its result byte for byte."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("input", help="input file (kezek.allocation/1), or - for standard input")
        parser.add_argument("output", help="result file to write, or - for standard output")
        parser.add_argument(
            "--reproducible", action="store_true",
            help="leave machine-dependent figures (solve_seconds) out, so that two runs give identical bytes",
        )
        parser.add_argument("--progress", action="store_true", help="report each stage on standard error")

    def handle(self, *args, input: str, output: str, reproducible: bool = False, progress: bool = False, **options) -> None:
        # A national round is millions of small objects that form no cycles: the cyclic collector would only
        # rescan them again and again (about a third of the run).
        gc.disable()
        try:
            # Anyone may re-run a published round: errors come in their terminal's language (LANG, LANGUAGE).
            with translation.override(cli_language()):
                self._run(input, output, reproducible=reproducible, progress=progress)
        finally:
            gc.enable()

    def _run(self, input: str, output: str, *, reproducible: bool, progress: bool) -> None:
        started = time.perf_counter()

        def say(text: str) -> None:
            if progress:
                sys.stderr.write(f"[{time.perf_counter() - started:7.2f} s] {text}\n")
                sys.stderr.flush()

        raw = self._read(input)
        say(f"read {len(raw):,} bytes")
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"{input} is not valid JSON in UTF-8: {exc}") from None
        del raw
        try:
            instance = parse_allocation_input(data)
        except DomainError as exc:
            raise CommandError(error_text(exc)) from None
        del data
        say(f"checked {len(instance.applicants):,} applicants and {len(instance.groups):,} groups ({instance.policy} policy)")
        last = [0.0]

        def on_progress(stage: str, done: int, total: int) -> None:
            now = time.perf_counter()
            if now - last[0] >= 0.5:
                last[0] = now
                say(f"{stage}: {done:,} of at most {total:,} proposals")

        result = allocate(instance, progress=on_progress if progress else None)
        stats = result.stats
        say(f"solved in {stats['solve_seconds']} s: {stats['assigned']:,} assigned, {stats['unassigned']:,} without a place")
        self._write(output, result_to_json_bytes(result, reproducible=reproducible))
        say(f"wrote {output}")

    def _read(self, path: str) -> bytes:
        try:
            if path == "-":
                return sys.stdin.buffer.read()
            with open(path, "rb") as handle:
                return handle.read()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from None

    def _write(self, path: str, content: bytes) -> None:
        try:
            if path == "-":
                sys.stdout.buffer.write(content)
                sys.stdout.buffer.flush()
                return
            with open(path, "wb") as handle:
                handle.write(content)
        except OSError as exc:
            raise CommandError(f"Cannot write {path}: {exc.strerror or exc}") from None
