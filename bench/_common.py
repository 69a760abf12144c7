"""Helpers shared by the benchmarks in ``bench/``: databases, gunicorn, open-model HTTP load, pgbench, figures.

Benchmarks are not tests: they print their figures and write them as JSON (``bench/results/``, gitignored).
Every load stays on 127.0.0.1 and is bounded in count and time. Only the standard library is used here, so a
benchmark runs with the project's own virtual environment and nothing else.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import math
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = REPO / ".venv" / "bin"
PYTHON = VENV_BIN / "python"
KEZEK = VENV_BIN / "kezek"
GUNICORN = VENV_BIN / "gunicorn"
RESULTS = REPO / "bench" / "results"
LOCALHOST = "127.0.0.1"

PG_HOST = os.environ.get("BENCH_PG_HOST", LOCALHOST)
PG_PORT = int(os.environ.get("BENCH_PG_PORT", "5432"))
PG_USER = os.environ.get("BENCH_PG_USER", "postgres")


# --- figures ------------------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float | None:
    """The p-th percentile (0-100) by linear interpolation between closest ranks; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (p / 100) * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def write_json(path: Path, data: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
    return path


# --- the machine --------------------------------------------------------------------------------------


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def machine_info() -> dict[str, Any]:
    """What the figures were measured on: a figure without its machine means nothing."""
    cpuinfo = _read("/proc/cpuinfo")
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    meminfo = _read("/proc/meminfo")
    mem = re.search(r"^MemTotal:\s*(\d+) kB", meminfo, re.M)
    return {
        "cpu_count": os.cpu_count(),
        "cpu_affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": model.group(1).strip() if model else platform.processor(),
        "memory_mb": int(mem.group(1)) // 1024 if mem else None,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "postgres": postgres_version(),
    }


# --- CPU accounting: what the benchmark's own processes used, against everything the machine did -------------

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def child_pids(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == parent:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


def system_cpu_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores together."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values) - idle) / _TICK, sum(values) / _TICK


def postgres_pids(dbname: str) -> list[int]:
    """Backends connected to ``dbname`` plus the shared WAL writer, checkpointer and background writer."""
    out = psql(
        f"SELECT pid FROM pg_stat_activity WHERE datname = '{dbname}' "
        "OR backend_type IN ('walwriter', 'checkpointer', 'background writer')"
    )
    return [int(x) for x in out.split()]


class CpuMeter:
    """CPU used during a step by gunicorn (master + workers), PostgreSQL (the bench database) and this client."""

    def __init__(self, *, gunicorn_pid: int | None, dbname: str):
        self.gunicorn_pid, self.dbname = gunicorn_pid, dbname

    def _sample(self) -> dict[str, Any]:
        app = [self.gunicorn_pid, *child_pids(self.gunicorn_pid)] if self.gunicorn_pid else []
        db = postgres_pids(self.dbname)
        return {
            "app": {pid: process_cpu_seconds(pid) for pid in app},
            "db": {pid: process_cpu_seconds(pid) for pid in db},
            "client": time.process_time(),
            "system": system_cpu_seconds(),
            "wall": time.monotonic(),
        }

    def start(self) -> None:
        self.before = self._sample()

    def stop(self) -> dict[str, Any]:
        after = self._sample()

        def used(kind: str) -> float:
            return sum(v - self.before[kind].get(pid, 0.0) for pid, v in after[kind].items())

        wall = after["wall"] - self.before["wall"]
        busy = after["system"][0] - self.before["system"][0]
        total = after["system"][1] - self.before["system"][1]
        app, db, client = used("app"), used("db"), after["client"] - self.before["client"]
        return {
            "wall_s": round(wall, 2),
            "gunicorn_cpu_s": round(app, 2),
            "postgres_cpu_s": round(db, 2),
            "client_cpu_s": round(client, 2),
            "machine_busy_cpu_s": round(busy, 2),
            "machine_cpu_capacity_s": round(total, 2),
            # Busy time of processes that are not part of this benchmark (other jobs sharing the machine).
            "other_processes_cpu_s": round(max(0.0, busy - app - db - client), 2),
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        }


# --- PostgreSQL ---------------------------------------------------------------------------------------


def pg_url(dbname: str) -> str:
    return f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{dbname}"


def psql(sql: str, *, dbname: str = "postgres", check: bool = True) -> str:
    """Run SQL with psql (tuples only, unaligned) and return its output."""
    done = subprocess.run(
        ["psql", "-h", PG_HOST, "-p", str(PG_PORT), "-U", PG_USER, "-d", dbname, "-v", "ON_ERROR_STOP=1", "-tA", "-c", sql],
        capture_output=True, text=True, check=False,
    )
    if check and done.returncode != 0:
        raise RuntimeError(f"psql failed: {done.stderr.strip()}")
    return done.stdout.strip()


def postgres_version() -> str | None:
    try:
        return psql("SHOW server_version")
    except (RuntimeError, OSError):
        return None


def pg_recreate_database(dbname: str) -> str:
    """Drop (if present) and create an empty database; returns its URL. Only bench_* style names are allowed."""
    if not re.fullmatch(r"kezek_bench_[a-z0-9_]+", dbname):
        raise ValueError("benchmark databases must be named kezek_bench_<something>")
    psql(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{dbname}"')
    return pg_url(dbname)


def django_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a Kezek process (migrate, seed, gunicorn) against the benchmark database."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url,
        DEBUG="0",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def kezek(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([str(KEZEK), *args], env=env, cwd=REPO, capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        raise RuntimeError(f"kezek {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def pgbench_script(*, dbname: str, setup_sql: str, script: str, teardown_sql: str, label: str, clients: int = 4,
                   jobs: int = 2, seconds: int = 10) -> dict[str, Any]:
    """Run one pgbench custom script (after ``setup_sql``, then ``teardown_sql``) and return its figures."""
    psql(setup_sql, dbname=dbname)
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as handle:
        handle.write(script)
    try:
        command = [
            "pgbench", "-h", PG_HOST, "-p", str(PG_PORT), "-U", PG_USER, "-n", "-f", handle.name,
            "-c", str(clients), "-j", str(jobs), "-T", str(seconds), dbname,
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    finally:
        os.unlink(handle.name)
    try:
        if done.returncode != 0:
            raise RuntimeError(f"pgbench failed: {done.stderr.strip()}")
        tps = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", done.stdout) or re.search(r"tps = ([0-9.]+)", done.stdout)
        latency = re.search(r"latency average = ([0-9.]+) ms", done.stdout)
        return {
            "command": " ".join(command[:-1] + [f"<script: {label}>", dbname]),
            "script": script.strip(),
            "clients": clients,
            "jobs": jobs,
            "seconds": seconds,
            "tps": float(tps.group(1)) if tps else None,
            "latency_avg_ms": float(latency.group(1)) if latency else None,
        }
    finally:
        psql(teardown_sql, dbname=dbname)


def pgbench_insert(*, dbname: str, clients: int = 4, jobs: int = 2, seconds: int = 10) -> dict[str, Any]:
    """pgbench with a plain single-row INSERT into a scratch table: the database's own ceiling for comparison."""
    return pgbench_script(
        dbname=dbname,
        setup_sql="DROP TABLE IF EXISTS bench_plain_insert; CREATE TABLE bench_plain_insert "
        "(id bigserial PRIMARY KEY, payload text NOT NULL, created_at timestamptz NOT NULL)",
        script="INSERT INTO bench_plain_insert (payload, created_at) VALUES (md5(random()::text), now());\n",
        teardown_sql="DROP TABLE IF EXISTS bench_plain_insert",
        label="one INSERT", clients=clients, jobs=jobs, seconds=seconds,
    )


def pgbench_chain_append(*, dbname: str, clients: int = 4, jobs: int = 2, seconds: int = 10) -> dict[str, Any]:
    """pgbench of a hash-chain append: lock one head row, insert an event, move the head, commit.

    Every writer that appends to one global chain waits for this lock, held until its commit: this is the
    ceiling of transactions per second that each write one chained audit event, whatever the application does.
    """
    return pgbench_script(
        dbname=dbname,
        setup_sql="DROP TABLE IF EXISTS bench_chain_event, bench_chain_head; "
        "CREATE TABLE bench_chain_head (id int PRIMARY KEY, seq bigint NOT NULL, hash text NOT NULL); "
        "INSERT INTO bench_chain_head VALUES (1, 0, md5('genesis')); "
        "CREATE TABLE bench_chain_event (seq bigint PRIMARY KEY, prev_hash text NOT NULL, hash text NOT NULL, payload text NOT NULL)",
        script=(
            "BEGIN;\n"
            "SELECT seq FROM bench_chain_head WHERE id = 1 FOR UPDATE;\n"
            "INSERT INTO bench_chain_event SELECT seq + 1, hash, md5(hash || random()::text), md5(random()::text) "
            "FROM bench_chain_head WHERE id = 1;\n"
            "UPDATE bench_chain_head h SET seq = e.seq, hash = e.hash FROM bench_chain_event e WHERE h.id = 1 AND e.seq = h.seq + 1;\n"
            "COMMIT;\n"
        ),
        teardown_sql="DROP TABLE IF EXISTS bench_chain_event, bench_chain_head",
        label="chain append under one head lock", clients=clients, jobs=jobs, seconds=seconds,
    )


# --- gunicorn -----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOCALHOST, 0))
        return sock.getsockname()[1]


@dataclass
class GunicornConfig:
    workers: int = (os.cpu_count() or 1) * 2 + 1
    worker_class: str = "sync"  # or "gthread"
    threads: int = 1
    backlog: int = 2048
    timeout: int = 30

    def label(self) -> str:
        return f"{self.worker_class} x{self.workers}" + (f" (threads {self.threads})" if self.worker_class == "gthread" else "")


class Gunicorn:
    """``gunicorn config.wsgi:application`` on 127.0.0.1 and a free port; stopped on exit whatever happens."""

    def __init__(self, config: GunicornConfig, env: dict[str, str], log_path: Path | None = None):
        self.config = config
        self.env = env
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.log_path = log_path or RESULTS / "gunicorn.log"

    @property
    def base_url(self) -> str:
        return f"http://{LOCALHOST}:{self.port}"

    def start(self, *, wait_seconds: float = 60) -> Gunicorn:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - kept open for the life of the server
        command = [
            str(GUNICORN), "config.wsgi:application",
            "--bind", f"{LOCALHOST}:{self.port}",
            "--workers", str(self.config.workers),
            "--worker-class", self.config.worker_class,
            "--threads", str(self.config.threads),
            "--backlog", str(self.config.backlog),
            "--timeout", str(self.config.timeout),
            "--log-level", "warning",
        ]
        self.process = subprocess.Popen(command, env=self.env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        atexit.register(self.stop)
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/api/v1/health", timeout=2) as answer:
                    if answer.status == 200:
                        self._warm_up()
                        return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer /api/v1/health within {wait_seconds} s; see {self.log_path}")

    def _warm_up(self) -> None:
        # Every worker imports lazily on its first request; a few health calls spread over them.
        for _ in range(self.config.workers * self.config.threads * 2):
            with urllib.request.urlopen(f"{self.base_url}/api/v1/health", timeout=5):
                pass

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
        except ProcessLookupError:
            pass

    def __enter__(self) -> Gunicorn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- open-model HTTP load -----------------------------------------------------------------------------


@dataclass
class Request:
    """One prepared request: raw bytes are built before the run so the generator spends no time on them."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""

    def raw(self, host: str, port: int, *, keep_alive: bool = False) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}:{port}"] + ([] if keep_alive else ["Connection: close"])
        lines += [f"{k}: {v}" for k, v in self.headers.items()]
        if self.body or self.method not in ("GET", "HEAD"):
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


@dataclass
class LoadResult:
    offered_rate: float
    duration_s: float
    arrival: str
    scheduled: int = 0
    sent: int = 0
    not_sent_in_time: int = 0
    status_counts: dict[str, int] = field(default_factory=dict)
    ok_2xx: int = 0
    http_4xx: int = 0
    http_5xx: int = 0
    http_other: int = 0
    timeouts: int = 0
    conn_errors: int = 0
    elapsed_s: float = 0.0
    ok_per_second: float = 0.0
    latency_ms: dict[str, float | None] = field(default_factory=dict)
    latency_ok_ms: dict[str, float | None] = field(default_factory=dict)
    send_lag_ms: dict[str, float | None] = field(default_factory=dict)
    max_in_flight: int = 0
    concurrency_cap: int = 0
    client_cpu_s: float = 0.0
    keep_alive: bool = False
    connections_opened: int | None = None  # with keep-alive: new connections, and requests sent on an open one
    connections_reused: int | None = None
    error_samples: list[str] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return self.http_4xx + self.http_5xx + self.http_other + self.timeouts + self.conn_errors + self.not_sent_in_time

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["errors"] = self.errors
        return data


def arrival_times(*, rate: float, duration: float, arrival: str, seed: int) -> list[float]:
    """Send times (seconds from the start) of an open model: Poisson (exponential gaps) or evenly spaced."""
    if arrival == "uniform":
        return [i / rate for i in range(int(rate * duration))]
    rng, times, t = random.Random(seed), [], 0.0
    while True:
        t += rng.expovariate(rate)
        if t >= duration:
            return times
        times.append(t)


def _summary(values: list[float]) -> dict[str, float | None]:
    return {
        "p50": rounded(percentile(values, 50)),
        "p95": rounded(percentile(values, 95)),
        "p99": rounded(percentile(values, 99)),
        "max": rounded(max(values) if values else None),
        "mean": rounded(sum(values) / len(values) if values else None),
    }


async def _exchange(host: str, port: int, payload: bytes, timeout: float) -> tuple[int, bytes]:
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    try:
        writer.write(payload)
        await writer.drain()
        # "Connection: close": the server's answer ends where the stream does.
        data = await reader.read(-1)
    finally:
        writer.close()
    head = data.split(b"\r\n", 1)[0].split(b" ")
    if len(head) < 2 or not head[0].startswith(b"HTTP/"):
        raise ConnectionError(f"malformed response: {data[:80]!r}")
    return int(head[1]), data


class KeepAlivePool:
    """Persistent HTTP/1.1 connections reused from one request to the next, as browsers (and a reverse proxy in
    front of gunicorn) keep theirs; only gthread workers keep a connection open (sync workers close every one).

    A request on an idle connection the server has meanwhile closed is sent once more on a new connection,
    as browsers do; a connection in an unknown state (a timeout) is closed, never reused.
    """

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.opened = 0
        self.reused = 0

    async def exchange(self, payload: bytes, timeout: float) -> tuple[int, bytes]:
        for _ in range(2):
            reused = bool(self.idle)
            if reused:
                reader, writer = self.idle.pop()
                self.reused += 1
            else:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), timeout)
                self.opened += 1
            keep = False
            try:
                writer.write(payload)
                await writer.drain()
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError as exc:
                    if reused and not exc.partial:
                        continue  # closed by the server while idle: the request never reached it
                    raise ConnectionError(f"connection closed mid-answer: {exc.partial[:80]!r}") from None
                status, headers = _head(head)
                body = await _read_body(reader, headers)
                keep = headers.get("connection", "").lower() != "close"
                return status, head + body
            except ConnectionResetError:
                if reused:
                    continue
                raise
            finally:
                if keep:
                    self.idle.append((reader, writer))
                else:
                    writer.close()
        raise ConnectionError("the server closed two connections in a row")

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()
        self.idle.clear()


def _head(head: bytes) -> tuple[int, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    first = lines[0].split(" ")
    if len(first) < 2 or not first[0].startswith("HTTP/"):
        raise ConnectionError(f"malformed response: {head[:80]!r}")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    return int(first[1]), headers


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if "content-length" in headers:
        return await reader.readexactly(int(headers["content-length"]))
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunks.append(await reader.readexactly(size + 2))
            if size == 0:
                return b"".join(chunks)
    headers["connection"] = "close"  # the body ends where the stream does
    return await reader.read(-1)


async def _open_model(
    *, host: str, port: int, requests: list[Request], times: list[float], cap: int, timeout: float, send_deadline: float,
    result: LoadResult, keep_alive: bool = False,
) -> list[tuple[int, float, int | str]]:
    payloads = [r.raw(host, port, keep_alive=keep_alive) for r in requests]
    pool = KeepAlivePool(host, port) if keep_alive else None
    slots = asyncio.Semaphore(cap)
    outcomes: list[tuple[int, float, int | str]] = []  # (index, latency ms from the scheduled time, status or error)
    lags: list[float] = []
    in_flight = 0
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.2

    async def one(index: int, due: float) -> None:
        nonlocal in_flight
        try:
            await asyncio.wait_for(slots.acquire(), max(0.0, due + send_deadline - loop.time()))
        except TimeoutError:
            result.not_sent_in_time += 1
            outcomes.append((index, (loop.time() - due) * 1000, "not_sent"))
            return
        in_flight += 1
        result.max_in_flight = max(result.max_in_flight, in_flight)
        result.sent += 1
        try:
            exchange = pool.exchange(payloads[index], timeout) if pool else _exchange(host, port, payloads[index], timeout)
            status, data = await asyncio.wait_for(exchange, timeout)
            outcomes.append((index, (loop.time() - due) * 1000, status))
            if status >= 300 and len(result.error_samples) < 5:
                result.error_samples.append(data[-400:].decode("utf-8", "replace"))
        except TimeoutError:
            outcomes.append((index, (loop.time() - due) * 1000, "timeout"))
        except OSError as exc:
            outcomes.append((index, (loop.time() - due) * 1000, "conn_error"))
            if len(result.error_samples) < 5:
                result.error_samples.append(f"{type(exc).__name__}: {exc}")
        finally:
            in_flight -= 1
            slots.release()

    tasks = []
    for index, offset in enumerate(times):
        due = start + offset
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        lags.append((loop.time() - due) * 1000)
        # Latency runs from ``due``, the scheduled time, whatever the backlog: no coordinated omission.
        tasks.append(asyncio.create_task(one(index, due)))
    await asyncio.gather(*tasks)
    result.elapsed_s = loop.time() - start
    if pool:
        result.connections_opened, result.connections_reused = pool.opened, pool.reused
        pool.close()
    result.send_lag_ms = _summary(lags)
    return outcomes


def open_model_load(
    *, host: str, port: int, requests: list[Request], rate: float, duration: float, arrival: str = "poisson",
    cap: int = 1000, timeout: float = 10.0, send_deadline: float = 1.0, seed: int = 1, keep_alive: bool = False,
) -> tuple[LoadResult, list[tuple[int, float, int | str]]]:
    """Send ``requests`` (one each) at a fixed arrival rate for ``duration`` seconds, whatever the responses do.

    At most ``cap`` requests are in flight; one that cannot start within ``send_deadline`` seconds of its
    scheduled time is counted in ``not_sent_in_time``. Latency is measured from the scheduled time.
    ``keep_alive``: connections stay open and are reused (``KeepAlivePool``) instead of one per request.
    Returns the summary and the per-request outcomes (index into ``requests``, latency ms, status or error).
    """
    times = arrival_times(rate=rate, duration=duration, arrival=arrival, seed=seed)
    if len(times) > len(requests):
        raise ValueError(f"{len(times)} arrivals need as many prepared requests; got {len(requests)}")
    result = LoadResult(offered_rate=rate, duration_s=duration, arrival=arrival, scheduled=len(times), concurrency_cap=cap,
                        keep_alive=keep_alive)
    cpu_before = time.process_time()
    outcomes = asyncio.run(
        _open_model(
            host=host, port=port, requests=requests[: len(times)], times=times, cap=cap, timeout=timeout,
            send_deadline=send_deadline, result=result, keep_alive=keep_alive,
        )
    )
    result.client_cpu_s = round(time.process_time() - cpu_before, 2)
    counts: Counter[str] = Counter(str(status) for _, _, status in outcomes)
    result.status_counts = dict(sorted(counts.items()))
    for _, _, status in outcomes:
        if isinstance(status, int):
            if 200 <= status < 300:
                result.ok_2xx += 1
            elif 400 <= status < 500:
                result.http_4xx += 1
            elif status >= 500:
                result.http_5xx += 1
            else:
                result.http_other += 1
        elif status == "timeout":
            result.timeouts += 1
        elif status == "conn_error":
            result.conn_errors += 1
    answered = [ms for _, ms, status in outcomes if isinstance(status, int)]
    result.latency_ms = _summary(answered)
    result.latency_ok_ms = _summary([ms for _, ms, status in outcomes if isinstance(status, int) and 200 <= status < 300])
    result.ok_per_second = round(result.ok_2xx / result.elapsed_s, 1) if result.elapsed_s else 0.0
    return result, outcomes


def which(tool: str) -> str | None:
    return shutil.which(tool)


def python_subprocess(args: list[str], *, env: dict[str, str]) -> dict[str, Any]:
    """Run ``python <args>`` (a benchmark's own set-up or check stage) and parse the JSON it prints last."""
    done = subprocess.run([str(PYTHON), *args], env=env, cwd=REPO, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def eprint(*parts: object) -> None:
    print(*parts, file=sys.stderr, flush=True)


# --- set-up stages run inside Django (a subprocess with the benchmark database's settings) ------------


def django_setup() -> None:
    """Set Django up in a benchmark's own subprocess stage (the repository on the path, Kezek's settings)."""
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def synthetic_iin(base: Any, index: int, spread: int, sex: str) -> str:
    """A valid IIN, deterministic and unique per index: the day is ``base + index % spread``, the serial from the rest."""
    import datetime as dt

    from kezek.domain.iin import build_iin

    day = base + dt.timedelta(days=index % spread)
    for k in range(3):
        iin = build_iin(day, sex, (index // spread) * 3 + k)
        if iin is not None:
            return iin
    raise RuntimeError(f"no valid IIN for index {index}")


def signed_in_sessions(users: list[Any], *, now: Any) -> list[str]:
    """A signed-in session per user, as sign-in leaves it (Django session + UserSession row); returns the keys."""
    import datetime as dt

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils.crypto import get_random_string

    from kezek.accounts.models import UserSession

    store = SessionStore()
    seen = now - dt.timedelta(minutes=2)  # signed in a while ago: the middleware only touches the session
    keys, sessions, tracked = [], [], []
    for user in users:
        key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
        data = {SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                HASH_SESSION_KEY: user.get_session_auth_hash()}
        sessions.append(Session(session_key=key, session_data=store.encode(data),
                                expire_date=now + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)))
        tracked.append(UserSession(user=user, session_key=key, created_at=seen, last_seen_at=seen, ip="127.0.0.1",
                                   user_agent="kezek-bench"))
        keys.append(key)
    Session.objects.bulk_create(sessions, batch_size=2000)
    UserSession.objects.bulk_create(tracked, batch_size=2000)
    return keys
