"""Helpers of the densefog utests: run ids, canned HTTP answers, request counting."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

APP = Path(__file__).with_name("testapp.py")
RUN = uuid.uuid4().hex[:8]


def unique(prefix: str) -> str:
    """A name carrying this run's id and a fresh suffix."""
    return f"{prefix}-{RUN}-{uuid.uuid4().hex[:6]}"


@dataclass
class Requests:
    """Every request a client sent, as ``(method, body)``."""

    seen: list[tuple[str, bytes]] = field(default_factory=list)

    def hook(self, response: requests.Response, *args: object, **kwargs: object) -> None:
        """A requests response hook that records the request."""
        body = response.request.body or b""
        self.seen.append(
            (str(response.request.method), body if isinstance(body, bytes) else body.encode())
        )

    def actions(self, name: str) -> int:
        """How many requests named action ``name``."""
        return sum(1 for _, body in self.seen if f'"action": "{name}"'.encode() in body)


@dataclass
class Canned:
    """What a canned server answers every request with, and how many it got."""

    status: int = 200
    content_type: str = "application/json"
    body: bytes = b""
    close_without_answer: bool = False
    count: int = 0
    headers_seen: list[dict[str, str]] = field(default_factory=list)


@contextmanager
def canned_server(canned: Canned) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 answering every request as ``canned`` says; yields its URL."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            canned.count += 1
            canned.headers_seen.append(dict(self.headers))
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            if canned.close_without_answer:
                self.close_connection = True
                self.connection.close()
                return
            self.send_response(canned.status)
            self.send_header("Content-Type", canned.content_type)
            self.send_header("Content-Length", str(len(canned.body)))
            self.end_headers()
            self.wfile.write(canned.body)

        do_GET = do_POST = do_PUT = _answer

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
