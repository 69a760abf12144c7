import threading

from django.core.management.base import BaseCommand

from kezek.core import worker


class Command(BaseCommand):
    help = "Run the durable background worker (outbox delivery, deadlines, scans). Safe to run several."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run every task until idle, then exit.")
        parser.add_argument("--task", action="append", dest="tasks", help="Only this task (repeatable).")

    def handle(self, *args, once: bool = False, tasks: list[str] | None = None, **options):
        if once:
            processed = worker.run_until_idle(tasks)
            self.stdout.write(f"processed {processed}")
            return
        stop = threading.Event()
        worker.install_signal_handlers(stop)
        self.stdout.write(f"worker running tasks: {', '.join(sorted(worker.TASKS))}")
        worker.run_forever(stop)
