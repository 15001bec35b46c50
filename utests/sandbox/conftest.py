"""Fixtures of the sandbox client tests.

The client tests use the plugin's own ``sandbox_server`` and ``sandbox``
fixtures (a real embedded server per xdist worker). ``stub`` is the one fake:
a tiny werkzeug server for answers the real server cannot be made to send
(garbage, odd statuses, 503 on demand); ``raw_stub`` sends answers byte for
byte, for what werkzeug would correct (a HEAD answer with a body).
"""

from __future__ import annotations

import socket
import threading
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

Handler = Callable[[Request], Response]
SETTLE = "/.stub-settle"


@dataclass
class Stub:
    """A loopback HTTP server answering every request with ``handler``; records the paths."""

    url: str
    handler: Handler
    paths: list[str] = field(default_factory=list)
    stop: Callable[[], None] = lambda: None

    def reply(self, *responses: Response) -> None:
        """Answer with ``responses`` in turn, repeating the last one."""
        queue = list(responses)

        def handler(request: Request) -> Response:
            return queue.pop(0) if len(queue) > 1 else queue[0]

        self.handler = handler

    def settled(self) -> list[str]:
        """The paths once every request sent so far has been handled; stops the server.

        A client that gave up (a request timeout) may return before the server
        has even accepted its connection. A last request queues behind every
        earlier connection, so once it is answered they have all been
        accepted; stopping then waits for their handlers to finish.
        """
        with urllib.request.urlopen(self.url + SETTLE, timeout=30):
            pass
        self.stop()
        return self.paths

    @staticmethod
    def json(text: str, status: int = 200) -> Response:
        """A response labelled as JSON whatever its text."""
        return Response(text, status=status, content_type="application/json")


@pytest.fixture
def stub() -> Iterator[Stub]:
    """A stub HTTP server on 127.0.0.1 (ephemeral port), stopped after the test."""
    holder: list[Stub] = []

    @Request.application  # type: ignore[arg-type]
    def app(request: Request) -> Response:
        if request.path == SETTLE:
            return Response("settled")
        holder[0].paths.append(request.environ.get("RAW_URI") or request.path)
        return holder[0].handler(request)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    server.daemon_threads = False  # tracked, so server_close() waits for the handlers

    def stop() -> None:
        server.shutdown()
        server.server_close()

    url = f"http://127.0.0.1:{server.server_port}"
    holder.append(Stub(url, lambda r: Response("stub"), stop=stop))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield holder[0]
    stop()


RawReply = Callable[[str, str], bytes]


@dataclass
class RawStub:
    """A loopback server that sends each answer in one write and closes, as ``runserver`` does.

    ``reply(method, path)`` gives the bytes of the whole answer (status line,
    headers and body); nothing checks them, so a HEAD answer may carry a body.
    ``requests`` records ``(method, path)`` of every request.
    """

    url: str
    reply: RawReply
    requests: list[tuple[str, str]] = field(default_factory=list)

    @staticmethod
    def answer(status: str, body: bytes = b"", length: int | None = None) -> bytes:
        """An HTTP/1.1 answer with ``Connection: close``, ``Content-Length`` and ``body``."""
        lines = [
            f"HTTP/1.1 {status}",
            "Content-Type: text/html; charset=utf-8",
            f"Content-Length: {len(body) if length is None else length}",
            "Connection: close",
        ]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@pytest.fixture
def raw_stub() -> Iterator[RawStub]:
    """A :class:`RawStub` on 127.0.0.1 (ephemeral port), stopped after the test."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.settimeout(0.05)
    stub = RawStub(f"http://127.0.0.1:{port}", lambda method, path: RawStub.answer("200 OK"))
    stopping = threading.Event()

    def serve() -> None:
        while not stopping.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            conn.settimeout(10)
            with conn:
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    head += chunk
                if head:
                    method, path = (part.decode() for part in head.split(b" ", 2)[:2])
                    stub.requests.append((method, path))
                    conn.sendall(stub.reply(method, path))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield stub
    stopping.set()
    thread.join(5)
    listener.close()
