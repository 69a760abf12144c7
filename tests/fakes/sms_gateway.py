"""A fake SMS gateway speaking the contract of docs/notifications.md, for tests on 127.0.0.1.

``POST <any path>`` with ``Authorization: Bearer <token>``, ``Idempotency-Key: <key>`` and a JSON body
``{"to": "+7...", "text": "..."}`` → ``200 {"id": "..."}``. A repeated key gets the original answer and is
not delivered again. Switches: ``fail_next(n)`` answers 5xx to the next n requests (before delivering),
``delay_seconds`` holds every answer back (after delivering) so a test can kill a worker mid-send.

In tests::

    with FakeSmsGateway(token="t") as gw:
        ... gw.url ... gw.delivered_keys() ...

As a script: ``python tests/fakes/sms_gateway.py --port 8025 --token secret``.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    body: Any
    status: int = 0
    received_at: float = field(default_factory=time.monotonic)

    @property
    def idempotency_key(self) -> str:
        return self.headers.get("idempotency-key", "")


@dataclass
class Delivery:
    to: str
    text: str
    idempotency_key: str
    id: str


class FakeSmsGateway:
    """The gateway's state is guarded by one lock: handler threads run concurrently."""

    def __init__(self, *, token: str = "test-token", host: str = "127.0.0.1", port: int = 0):
        self.token = token
        self.delay_seconds = 0.0
        self.verbose = False
        self._lock = threading.Lock()
        self._in_flight = 0
        self.max_in_flight = 0
        self._fail_next = 0
        self._fail_status = 500
        self._fail_retry_after: int | None = None
        self._requests: list[ReceivedRequest] = []
        self._deliveries: list[Delivery] = []
        self._answers: dict[str, tuple[int, dict]] = {}
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # --- control -------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1/sms"

    def start(self) -> FakeSmsGateway:
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-sms-gateway", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeSmsGateway:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fail_next(self, count: int, *, status: int = 500, retry_after: int | None = None) -> None:
        """Answer ``status`` (without delivering, with ``Retry-After`` if given) to the next ``count`` requests."""
        with self._lock:
            self._fail_next, self._fail_status, self._fail_retry_after = count, status, retry_after

    # --- observations --------------------------------------------------------------------------
    @property
    def requests(self) -> list[ReceivedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def deliveries(self) -> list[Delivery]:
        with self._lock:
            return list(self._deliveries)

    def delivered_keys(self) -> Counter:
        return Counter(d.idempotency_key for d in self.deliveries)

    def requested_keys(self) -> Counter:
        return Counter(r.idempotency_key for r in self.requests)

    def wait_for(self, predicate, *, timeout: float = 30.0, interval: float = 0.02) -> bool:
        """Poll ``predicate(self)`` until true or ``timeout`` seconds pass."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self):
                return True
            time.sleep(interval)
        return bool(predicate(self))

    # --- the HTTP side -------------------------------------------------------------------------
    def _answer(self, headers: dict[str, str], body: Any) -> tuple[int, dict, dict[str, str]]:
        if headers.get("authorization") != f"Bearer {self.token}":
            return 401, {"error": "unauthorized"}, {}
        key = headers.get("idempotency-key", "")
        if not key:
            return 400, {"error": "Idempotency-Key header required"}, {}
        if not isinstance(body, dict) or not isinstance(body.get("to"), str) or not isinstance(body.get("text"), str):
            return 400, {"error": "JSON body {to, text} required"}, {}
        if not body["to"].startswith("+") or not body["to"][1:].isdigit():
            return 422, {"error": "recipient must be an E.164 number"}, {}
        with self._lock:
            if key in self._answers:
                return *self._answers[key], {}
            if self._fail_next > 0:
                self._fail_next -= 1
                extra = {"Retry-After": str(self._fail_retry_after)} if self._fail_retry_after is not None else {}
                return self._fail_status, {"error": "temporarily unavailable"}, extra
            delivery = Delivery(to=body["to"], text=body["text"], idempotency_key=key, id=f"fake-{uuid.uuid4().hex}")
            self._deliveries.append(delivery)
            self._answers[key] = (200, {"id": delivery.id, "status": "accepted"})
            return *self._answers[key], {}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"null")
                except ValueError:
                    body = None
                headers = {k.lower(): v for k, v in self.headers.items()}
                received = ReceivedRequest(path=self.path, headers=headers, body=body)
                with gateway._lock:
                    gateway._requests.append(received)
                    gateway._in_flight += 1
                    gateway.max_in_flight = max(gateway.max_in_flight, gateway._in_flight)
                try:
                    status, answer, extra_headers = gateway._answer(headers, body)
                    received.status = status
                    if gateway.verbose:
                        print(f"{status} {headers.get('idempotency-key', '')} {body!r}", flush=True)
                    if gateway.delay_seconds:
                        time.sleep(gateway.delay_seconds)
                finally:
                    with gateway._lock:
                        gateway._in_flight -= 1
                data = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in extra_headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client was killed while we waited
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description="Fake SMS gateway for Kezek development and tests")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--token", default="test-token")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds to hold back every answer")
    args = parser.parse_args()
    gateway = FakeSmsGateway(token=args.token, port=args.port)
    gateway.delay_seconds = args.delay
    gateway.verbose = True
    print(f"fake SMS gateway on {gateway.url} (token {args.token!r}); Ctrl-C to stop", flush=True)
    try:
        gateway._server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
