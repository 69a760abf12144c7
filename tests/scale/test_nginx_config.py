"""deploy/nginx/kezek.conf itself, in front of small upstreams that record what reaches them (no app needed).

What the app relies on: X-Forwarded-For is the client's address whatever the client sent, every request has an
X-Request-ID, a POST is never sent to a second app server (it may have been acted on), a GET is; with no app
server answering, a 503 with Retry-After (problem JSON under /api/); static files and the body size limit.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.integration.notifications.test_worker_processes import wait_until
from tests.scale import stack

pytestmark = [pytest.mark.postgres_only, pytest.mark.usefixtures("nginx_installed")]


class Recorder:
    """An upstream that answers 200 to everything and keeps (method, path, headers) of each request."""

    def __init__(self):
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                recorder.seen.append((self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))
                body = b'{"ok": true}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer((stack.LOCALHOST, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def methods(self) -> list[str]:
        return [method for method, _, _ in self.seen]


class Dropper:
    """An upstream that reads each request whole and closes the connection without answering (a crash mid-request)."""

    def __init__(self):
        self.methods: list[str] = []
        self.sock = socket.create_server((stack.LOCALHOST, 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                if data:
                    self.methods.append(data.split(b" ", 1)[0].decode())


@pytest.fixture
def upstreams() -> Iterator[tuple[Recorder, Dropper]]:
    recorder, dropper = Recorder(), Dropper()
    try:
        yield recorder, dropper
    finally:
        recorder.server.shutdown()
        recorder.server.server_close()
        dropper.sock.close()


@pytest.fixture
def nginx_for(tmp_path) -> Iterator:
    started: list[stack.Nginx] = []

    def start(app_ports: list[int]) -> stack.Nginx:
        started.append(stack.nginx_start(prefix=tmp_path / f"nginx-{len(started) + 1}", app_ports=app_ports, probe="/"))
        return started[-1]

    try:
        yield start
    finally:
        for nginx in started:
            nginx.service.stop()


def ask(nginx: stack.Nginx, method: str, path: str, *, headers: dict[str, str] | None = None, body: bytes = b"",
        port: int | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(stack.LOCALHOST, port or nginx.port, timeout=30)
    try:
        conn.request(method, path, body=body or None, headers=headers or {})
        answer = conn.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        conn.close()


def test_the_app_server_gets_the_real_client_address_and_a_request_id(upstreams, nginx_for, tmp_path):
    recorder, _ = upstreams
    nginx = nginx_for([recorder.port])
    recorder.seen.clear()  # nginx's start-up probe
    spoofed = {"X-Forwarded-For": "6.6.6.6", "X-Request-ID": "chosen-by-me", "X-Forwarded-Proto": "https"}
    status, _, _ = ask(nginx, "GET", "/api/v1/whoami", headers=spoofed)
    assert status == 200
    [(_, path, seen)] = recorder.seen
    assert path == "/api/v1/whoami"
    # Overwritten, not appended to: a client cannot pick the address its rate limits count under.
    assert seen["x-forwarded-for"] == "127.0.0.1"
    assert seen["x-forwarded-proto"] == "http"
    assert re.fullmatch(r"[0-9a-f]{32}", seen["x-request-id"])
    assert seen["host"] == "127.0.0.1"

    def logged() -> list[dict[str, str]]:
        return [line for line in nginx.access_lines() if line["path"] == "/api/v1/whoami"]

    wait_until(logged, 10)  # nginx writes its access log line just after the answer has gone out
    [line] = logged()
    assert line["rid"] == seen["x-request-id"] and line["upstream"] == f"127.0.0.1:{recorder.port}"


def test_a_post_is_never_passed_to_a_second_app_server_but_a_get_is(upstreams, nginx_for):
    recorder, dropper = upstreams
    nginx = nginx_for([dropper.port, recorder.port])
    recorder.seen.clear()
    dropper.methods.clear()
    posts = [ask(nginx, "POST", "/api/v1/claim", headers={"Content-Type": "application/json"}, body=b"{}") for _ in range(4)]
    # Each POST reached exactly one server: the dropper's were answered 503 by nginx, not repeated on the recorder.
    assert dropper.methods.count("POST") >= 1
    assert dropper.methods.count("POST") + recorder.methods().count("POST") == 4
    assert sorted(status for status, _, _ in posts) == [200] * recorder.methods().count("POST") + [503] * dropper.methods.count("POST")
    for status, headers, body in posts:
        if status == 503:
            assert headers["content-type"] == "application/problem+json" and headers["retry-after"] == "30"
            assert json.loads(body)["code"] == "service_unavailable"
    # A GET that met the dropping server was answered by the other one.
    gets = [ask(nginx, "GET", "/api/v1/status") for _ in range(4)]
    assert [status for status, _, _ in gets] == [200] * 4
    assert recorder.methods().count("GET") == 4


def test_no_app_server_answering_gives_503_with_retry_after(nginx_for):
    nginx = nginx_for([stack.bench.free_port(), stack.bench.free_port()])  # nobody listens there
    status, headers, body = ask(nginx, "GET", "/api/v1/health")
    assert (status, headers["retry-after"], headers["content-type"]) == (503, "30", "application/problem+json")
    assert json.loads(body)["status"] == 503 and re.fullmatch(r"[0-9a-f]{32}", headers["x-request-id"])
    status, headers, body = ask(nginx, "GET", "/kk/", headers={"Accept-Language": "en"})
    assert (status, headers["retry-after"]) == (503, "30") and headers["content-type"].startswith("text/html")
    assert b"The service is temporarily unavailable" in body


def test_static_files_body_limit_and_https_redirect(upstreams, nginx_for, tmp_path):
    recorder, _ = upstreams
    nginx = nginx_for([recorder.port])
    (tmp_path / "nginx-1" / "static" / "kezek").mkdir(parents=True)
    (tmp_path / "nginx-1" / "static" / "kezek" / "probe.css").write_text("body { color: black; }\n")
    recorder.seen.clear()
    status, headers, body = ask(nginx, "GET", "/static/kezek/probe.css")
    assert (status, body) == (200, b"body { color: black; }\n")
    assert headers["content-type"] == "text/css" and "public" in headers["cache-control"]
    assert recorder.seen == []  # nginx served it itself
    # An appeal's 5 documents of 5 MB pass; more is refused before any app server reads it.
    status, _, _ = ask(nginx, "POST", "/api/v1/appeals", headers={"Content-Type": "application/octet-stream"},
                       body=b"x" * (25 * 1024 * 1024))
    assert status == 200
    status, _, _ = ask(nginx, "POST", "/api/v1/appeals", headers={"Content-Type": "application/octet-stream"},
                       body=b"x" * (27 * 1024 * 1024))
    assert status == 413
    status, headers, _ = ask(nginx, "GET", "/kk/?a=1", port=nginx.redirect_port)
    assert status == 301 and headers["location"] == "https://127.0.0.1/kk/?a=1"
