"""``kezek round-run CODE``: run a round's requested allocation now, with a progress bar."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from kezek.accounts.models import User
from kezek.core.cli import cli_language
from kezek.core.errors import error_text
from kezek.core.worker import worker_id
from kezek.domain.errors import DomainError
from kezek.rounds.models import Round, RoundRun
from kezek.rounds.services import round_run_claim_by_code, round_run_execute, round_run_request

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Run the requested allocation of round CODE in this process, showing a progress bar. "
        "With --officer USERNAME, request the run as that officer first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="The round's public code.")
        parser.add_argument("--officer", help="Request the run as this officer (username) before running it.")

    def handle(self, *args, code: str, officer: str | None = None, **options) -> None:
        # Messages in the terminal's language (LANG, LANGUAGE), as every console command of Kezek.
        with translation.override(cli_language()):
            self._handle(code=code, officer=officer)

    def _handle(self, *, code: str, officer: str | None) -> None:
        self.shown = ("", -1)
        try:
            if officer:
                user = User.objects.filter(username=officer).first()
                if user is None:
                    raise CommandError(f"No user named {officer!r}.")
                round = Round.objects.filter(code=code).first()
                if round is None:
                    raise CommandError(f"No round with code {code!r}.")
                round_run_request(officer=user, round=round)
            owner = worker_id()
            run = round_run_execute(run=round_run_claim_by_code(code=code, owner=owner), owner=owner, echo=self.bar)
        except DomainError as exc:
            raise CommandError(error_text(exc)) from exc
        self.stdout.write("")
        if run.status != RoundRun.Status.DONE:
            raise CommandError(f"The run failed and changed nothing: {run.error or run.status}")
        self.stdout.write(
            f"Round {code} ran: {run.progress_total} applicants, input sha256 {run.input_sha256}, "
            f"result sha256 {run.result_sha256}"
        )

    def bar(self, stage: str, done: int, total: int) -> None:
        percent = 100 * done // total if total else 0
        if (stage, percent) == self.shown:
            return
        if self.shown[0] and stage != self.shown[0]:
            self.stdout.write("")  # each stage keeps its own finished line
        self.shown = (stage, percent)
        filled = BAR_WIDTH * percent // 100
        self.stdout.write(f"\r{stage:<8} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {percent:3d}% {done}/{total}", ending="")
        self.stdout.flush()
