"""A flaky network on purpose: an HTTP proxy on 127.0.0.1 that breaks some requests.

Put it in front of the embedded S3 server or the Snowflake emulator (point the
pipeline's port at the proxy) and it forwards every request, except those its
`plan` picks, which it answers with HTTP 503 or by resetting the connection, both
*before* the request reaches the service, as an overloaded load balancer would.
The pipeline's own retries (botocore, the Snowflake connector, the steps'
RetryPolicy) must then absorb them. Used by the fault-tolerance tests and the soak.

A plan is a callable (request number, method, path) -> "pass" | "503" | "reset".
"""

from __future__ import annotations

import http.client
import random
import socket
import struct
import sys
import threading
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Plan = Callable[[int, str, str], str]

S3_SLOW_DOWN = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
    b"<Message>Please reduce your request rate.</Message></Error>"
)


def passes(number: int, method: str, path: str) -> str:
    return "pass"


def every(n: int, fault: str) -> Plan:
    return lambda number, method, path: fault if number % n == 0 else "pass"


def at_random(rate: float, seed: int, faults: tuple[str, ...] = ("503", "reset")) -> Plan:
    rng = random.Random(seed)
    lock = threading.Lock()

    def plan(number: int, method: str, path: str) -> str:
        with lock:
            return rng.choice(faults) if rng.random() < rate else "pass"

    return plan


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    client_disconnects = 0

    def handle_error(self, request, client_address) -> None:
        # a client that dies mid-request (the soak SIGKILLs runs) is part of the test, not a
        # fault of the proxy: counted, where socketserver would print its traceback
        if isinstance(sys.exc_info()[1], ConnectionError):
            self.client_disconnects += 1
            return
        super().handle_error(request, client_address)


class FaultProxy:
    def __init__(self, upstream_port: int, plan: Plan = passes):
        self.upstream_port = upstream_port
        self.plan = plan
        self.requests = 0
        self.injected: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def client_disconnects(self) -> int:
        """Requests whose client went away before the proxy could answer."""
        return self._server.client_disconnects

    def _decide(self, method: str, path: str) -> str:
        with self._lock:
            self.requests += 1
            number = self.requests
        fault = self.plan(number, method, path)
        if fault != "pass":
            with self._lock:
                self.injected[fault] += 1
        return fault

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                fault = proxy._decide(self.command, self.path)
                if fault == "reset":
                    # RST instead of FIN: the client sees "connection reset by peer"
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.close_connection = True
                    self.connection.close()
                    return
                if fault == "503":
                    self._reply(503, {"Content-Type": "application/xml", "Retry-After": "0"}, S3_SLOW_DOWN)
                    return
                upstream = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=600)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    response = upstream.getresponse()
                    payload = response.read()
                    # a HEAD answer keeps the object's Content-Length; others are re-framed here
                    skip = {"transfer-encoding", "connection"} | (
                        {"content-length"} if self.command != "HEAD" else set()
                    )
                    self._reply(
                        response.status, {k: v for k, v in response.getheaders() if k.lower() not in skip}, payload
                    )
                finally:
                    upstream.close()

            def _reply(self, status: int, headers: dict[str, str], payload: bytes) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if "content-length" not in {k.lower() for k in headers}:
                    self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward

        return Handler
