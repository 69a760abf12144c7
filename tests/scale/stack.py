"""Kezek as several machines on 127.0.0.1 for tests/scale: app servers, nginx in front of them, workers.

Every process runs on the test's own database (the tests commit their data: ``transaction=True``), with
JSON logs in its own file, and is stopped (its whole process group) when the test ends, whatever happened.
The app servers are gunicorn with deploy/gunicorn.conf.py; nginx runs deploy/nginx/kezek.conf rendered
with the test's ports and paths (``render_site``).
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import subprocess
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from bench import rush
from tests.integration.notifications.test_worker_processes import wait_until
from tests.subprocesses import kezek_command, subprocess_database_url

bench = rush.bench  # bench/_common.py, as the benchmark itself imports it
REPO = Path(settings.BASE_DIR)
SITE_CONFIG = REPO / "deploy" / "nginx" / "kezek.conf"
GUNICORN_CONFIG = REPO / "deploy" / "gunicorn.conf.py"
REDIS_URL = "redis://127.0.0.1:6379/11"  # its own database: the integration tests flush 12, 14 and 15
STARTUP_TIMEOUT = 120  # two shared cores: Django's start-up can take a while under load
LOCALHOST = "127.0.0.1"


def nginx_binary() -> str | None:
    """Debian's nginx (nginx-light), wherever PATH leaves /usr/sbin out."""
    found = shutil.which("nginx")
    return found or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)


def stack_env(*, redis: bool, **extra: str) -> dict[str, str]:
    """The environment of every process: the test database, Redis db 11 (or none), JSON logs at INFO.

    The app trusts X-Forwarded-For, as it must behind nginx (deploy/nginx/kezek.conf overwrites the header).
    """
    env = bench.django_env(
        subprocess_database_url(), LOG_LEVEL="INFO", LOG_FORMAT="json", KEZEK_TRUST_X_FORWARDED_FOR="1",
        ALLOWED_HOSTS="127.0.0.1,localhost", **extra,
    )
    env.pop("REDIS_URL", None)
    if redis:
        env["REDIS_URL"] = REDIS_URL
    return env


def redis_flush() -> None:
    """Empty Redis db 11, the scale tests' own."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    try:
        client.flushdb()
    finally:
        client.close()


class Service:
    """One background process with its log file; ``stop`` ends its whole process group."""

    def __init__(self, name: str, command: list[str], *, env: dict[str, str], log_path: Path):
        self.name, self.command, self.env, self.log_path = name, command, env, log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> Service:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(self.command, env=self.env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def describe(self) -> str:
        return f"--- {self.name} ({self.log_path})\n{self.log()[-3000:]}"

    def wait_for_log(self, text: str) -> None:
        wait_until(lambda: text in self.log() or self.process.poll() is not None, STARTUP_TIMEOUT, self.describe)
        assert self.process.poll() is None, f"{self.name} exited early\n{self.describe()}"

    def stop(self) -> None:
        # bench's own: SIGTERM to the process group, SIGKILL if it lingers (it only needs ``self.process``).
        bench.Gunicorn.stop(self)


@dataclass
class AppServer:
    """A gunicorn app server (bench/_common.Gunicorn) that also loads deploy/gunicorn.conf.py."""

    server: bench.Gunicorn

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def url(self) -> str:
        return self.server.base_url

    def request_ids(self) -> Counter:
        """How often each request id appears in this server's request log (kezek.request, one line a request)."""
        ids: Counter = Counter()
        for line in self.server.log_path.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                record = json.loads(line)
                if record.get("logger") == "kezek.request":
                    ids[record["request_id"]] += 1
        return ids


def app_server_start(*, env: dict[str, str], log_path: Path, workers: int = 2, threads: int = 4) -> AppServer:
    """Start an app server on a free port with the production settings file; command-line options win over it."""
    env = {**env, "GUNICORN_CMD_ARGS": f"--config {GUNICORN_CONFIG}"}
    config = bench.GunicornConfig(workers=workers, worker_class="gthread", threads=threads, timeout=30)
    server = bench.Gunicorn(config, env, log_path=log_path)
    return AppServer(server.start(wait_seconds=STARTUP_TIMEOUT))


def app_servers_start(count: int, *, env: dict[str, str], log_dir: Path, workers: int = 2, threads: int = 4) -> list[AppServer]:
    """``count`` app servers started side by side (each waits for its own start-up)."""
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(
            lambda n: app_server_start(env=env, log_path=log_dir / f"app-{n}.log", workers=workers, threads=threads),
            range(1, count + 1),
        ))


# --- nginx ---------------------------------------------------------------------------------------------------


def _substitute(text: str, pattern: str, replacement: str) -> str:
    rendered, count = re.subn(pattern, replacement, text, flags=re.MULTILINE)
    assert count, f"deploy/nginx/kezek.conf no longer has {pattern!r}: update tests/scale/stack.py with it"
    return rendered


def render_site(*, app_ports: list[int], port: int, redirect_port: int, static_root: Path, log_dir: Path) -> str:
    """deploy/nginx/kezek.conf with this test's upstream, ports and paths, TLS left out (plain http on 127.0.0.1)."""
    text = SITE_CONFIG.read_text()
    upstream = "\n".join(f"    server {LOCALHOST}:{p} max_fails=3 fail_timeout=10s;" for p in app_ports)
    text = _substitute(text, r"^    server 127\.0\.0\.1:8001 .*;\n(    server 127\.0\.0\.1:800\d .*;\n)*", upstream + "\n")
    text = _substitute(text, r"^\s*listen \[::\]:.*;\n", "")
    text = _substitute(text, r"^(\s*)listen 443 ssl http2;", rf"\1listen {LOCALHOST}:{port};")
    text = _substitute(text, r"^(\s*)listen 80;", rf"\1listen {LOCALHOST}:{redirect_port};")
    text = _substitute(text, r"^\s*ssl_\w+ .*;\n", "")
    text = _substitute(text, r"/var/lib/kezek/static/", f"{static_root}/")
    text = _substitute(text, r"/srv/kezek/deploy/", f"{REPO}/deploy/")
    return _substitute(text, r"/var/log/nginx/", f"{log_dir}/")


def _main_config(*, prefix: Path, site: Path) -> str:
    # nginx's own file: what Debian's /etc/nginx/nginx.conf gives a site, with every path in the test's directory.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
    temp = "\n".join(f"    {kind}_temp_path {prefix}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""daemon off;
{user}
worker_processes 2;
worker_rlimit_nofile 16384;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    access_log off;
{temp}
    include {site};
}}
"""


@dataclass
class Nginx:
    service: Service
    port: int
    redirect_port: int
    access_log: Path

    @property
    def url(self) -> str:
        return f"http://{LOCALHOST}:{self.port}"

    def access_lines(self) -> list[dict[str, str]]:
        """The access log (log_format kezek) as dicts: method, path, status, upstream, upstream_status, rid."""
        pattern = re.compile(
            r'"(?P<method>\S+) (?P<path>\S+) [^"]*" (?P<status>\d{3}) \d+ \S+ upstream=(?P<upstream>.*?) '
            r"upstream_status=(?P<upstream_status>.*?) upstream_time=.*? rid=(?P<rid>\w+)$"
        )
        text = self.access_log.read_text(errors="replace") if self.access_log.exists() else ""
        return [m.groupdict() for m in map(pattern.search, text.splitlines()) if m]


def nginx_start(*, prefix: Path, app_ports: list[int], static_root: Path | None = None, probe: str = "/api/v1/health") -> Nginx:
    """nginx in front of ``app_ports`` on a free port, with deploy/nginx/kezek.conf rendered into ``prefix``."""
    binary = nginx_binary()
    assert binary, "nginx is not installed (Debian: apt-get install nginx-light)"
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi", "logs"):
        (prefix / kind).mkdir(parents=True, exist_ok=True)
    static_root = static_root or prefix / "static"
    static_root.mkdir(parents=True, exist_ok=True)
    port, redirect_port = bench.free_port(), bench.free_port()
    site = prefix / "kezek.conf"
    site.write_text(render_site(app_ports=app_ports, port=port, redirect_port=redirect_port, static_root=static_root,
                                log_dir=prefix / "logs"))
    conf = prefix / "nginx.conf"
    conf.write_text(_main_config(prefix=prefix, site=site))
    command = [binary, "-p", f"{prefix}/", "-c", str(conf)]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, f"nginx -t failed:\n{checked.stderr}\n{site.read_text()}"
    service = Service("nginx", command, env=dict(os.environ), log_path=prefix / "nginx.out").start()
    nginx = Nginx(service, port, redirect_port, prefix / "logs" / "kezek.access.log")

    def answers() -> bool:
        assert service.process.poll() is None, f"nginx exited\n{service.describe()}\n{(prefix / 'error.log').read_text()}"
        try:
            with urllib.request.urlopen(nginx.url + probe, timeout=5):
                return True
        except urllib.error.HTTPError:
            return True  # an answer (also nginx's own 503) means it is listening
        except OSError:
            return False

    wait_until(answers, STARTUP_TIMEOUT, service.describe)
    return nginx


def worker_start(*, name: str, env: dict[str, str], log_path: Path) -> Service:
    """A ``kezek worker`` running every task (ready once its log says "worker running")."""
    return Service(name, [*kezek_command(), "worker"], env=env, log_path=log_path).start()
