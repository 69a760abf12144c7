"""tests/scale: Kezek run as several machines on 127.0.0.1 (PostgreSQL only).

Two gunicorn app servers behind nginx (deploy/nginx/kezek.conf rendered for the test), two ``kezek worker``
processes, all on the test database and Redis db 11. Sized for CI by default; ``KEZEK_SCALE_ARRIVALS`` makes
the voucher rush bigger (see tests/scale/test_rush_through_nginx.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.scale import stack


class Stack:
    """The processes one test started, stopped in reverse order when it ends."""

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self.apps: list[stack.AppServer] = []
        self.nginx: stack.Nginx | None = None
        self.workers: list[stack.Service] = []

    def start_apps(self, count: int, *, env: dict[str, str], workers: int = 2, threads: int = 4) -> list[stack.AppServer]:
        self.apps += stack.app_servers_start(count, env=env, log_dir=self.tmp_path, workers=workers, threads=threads)
        return self.apps

    def start_nginx(self, **kwargs) -> stack.Nginx:
        self.nginx = stack.nginx_start(prefix=self.tmp_path / "nginx", app_ports=[a.port for a in self.apps], **kwargs)
        return self.nginx

    def start_workers(self, envs: list[dict[str, str]]) -> list[stack.Service]:
        """Start a ``kezek worker`` per environment; ``wait_workers`` waits until they run (start them first)."""
        for env in envs:
            n = len(self.workers) + 1
            self.workers.append(stack.worker_start(name=f"worker-{n}", env=env, log_path=self.tmp_path / f"worker-{n}.log"))
        return self.workers

    def wait_workers(self) -> None:
        for worker in self.workers:
            worker.wait_for_log("worker running")

    def logs(self) -> str:
        parts = [w.describe() for w in self.workers]
        parts += [f"--- app on {a.port}\n{a.server.log_path.read_text(errors='replace')[-3000:]}" for a in self.apps]
        return "\n".join(parts)

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()
        if self.nginx:
            self.nginx.service.stop()
        for app in self.apps:
            app.server.stop()


@pytest.fixture(scope="session")
def nginx_installed() -> None:
    if stack.nginx_binary() is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("nginx is required in CI (apt-get install nginx-light)")
        pytest.skip("nginx is not installed (apt-get install nginx-light)")


@pytest.fixture
def scale_stack(tmp_path: Path) -> Iterator[Stack]:
    """Start app servers, nginx and workers with its methods; all of them are stopped after the test."""
    made = Stack(tmp_path)
    try:
        yield made
    finally:
        made.stop()
