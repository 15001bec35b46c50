"""A fault-injecting TCP proxy on 127.0.0.1, between any client and any server.

Put it in front of a server (``FaultProxy(("127.0.0.1", port))``, or
``jobharness fault-proxy --upstream HOST:PORT`` from a shell), point the
client at :attr:`FaultProxy.url`, and choose what goes wrong. In ``pass``
mode every connection is relayed both ways. In another mode, each request
that arrives afterwards (also on a kept-alive connection) meets that fault:

===========  ==========================================================================
fault        what the client sees                              reaches the server?
===========  ==========================================================================
silent       nothing: the request is read, never answered       no
stall        nothing: the request is relayed, the answer held   yes (it acted)
delay        the real answer, ``delay`` seconds late            yes
drip         the real answer one byte every ``drip_interval``   yes (canned without one)
reset        a reset (RST) when the request arrives             no
refuse       connections refused (the listener is closed)       no
half         half of a canned answer, then the end              no
truncate     the start of the real answer, then the end         yes (it acted)
duplicate    every chunk of the real answer twice               yes
endless      an answer that never ends, as fast as it goes      no
error        an HTTP error status (``status``, 503 by default)  no
===========  ==========================================================================

:meth:`FaultProxy.switch` takes a ``count``: after that many faulty requests
the proxy behaves again, so a test can cut a wait in the middle and check
that it survives. :meth:`FaultProxy.every` injects a fault into every n-th
request. :attr:`FaultProxy.injected` counts the faults by name and
:attr:`FaultProxy.relayed` the requests that reached the server (with
``keep_requests``, :attr:`FaultProxy.relayed_requests` keeps the first bytes
of each), for the figures of a reliability run. The canned answers are protocol-shaped
(``http`` or ``lines``), so a client reads them as the start of a real answer.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import select
import socket
import struct
import threading
import time
from collections.abc import Iterator
from types import TracebackType

from jobharness.errors import ConfigurationError

__all__ = ["FAULTS", "MODES", "FaultProxy", "elapsed_since"]

FAULTS = (
    "silent",
    "stall",
    "delay",
    "drip",
    "reset",
    "refuse",
    "half",
    "truncate",
    "duplicate",
    "endless",
    "error",
)
"""Every fault the proxy can inject."""
MODES = ("silent", "drip", "reset", "refuse", "half", "endless")
"""The faults of the first misbehaving server (the deadline tests' matrix)."""
RELAYED = frozenset({"stall", "delay", "drip", "truncate", "duplicate"})
"""The faults that let the request reach the server."""

_DRIP = {
    "http": b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Padding: "
    + b"x" * 10_000
    + b"\r\n",
    "lines": b'{"packet": 1, "data": "' + b"x" * 10_000,
}
_HALF = {
    "http": b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n"
    + b'{"state": "runn',
    "lines": b'{"result": {"half": ',
}
_ENDLESS_HEAD = {
    "http": b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n[",
    "lines": b'{"result": "',
}
_RECV = 65536


def _error_reply(status: int) -> bytes:
    body = b'{"detail": "injected by the jobharness fault proxy"}'
    return (
        f"HTTP/1.1 {status} Injected Fault\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body


class FaultProxy:
    """A TCP proxy to ``upstream`` (host, port) whose faults a test switches at any time.

    ``protocol`` (``http`` or ``lines``) shapes the canned answers;
    ``drip_interval`` is the pause between two dripped bytes, ``delay`` how
    late ``delay`` answers, ``status`` the status of ``error`` answers.
    Without an upstream only the faults that need no server work.
    """

    def __init__(
        self,
        upstream: tuple[str, int] | None,
        protocol: str = "http",
        drip_interval: float = 1.0,
        *,
        delay: float = 2.0,
        status: int = 503,
        port: int = 0,
        keep_requests: bool = False,
    ) -> None:
        if protocol not in _HALF:
            raise ConfigurationError(f"protocol must be http or lines, got {protocol!r}")
        self.upstream = upstream
        self.protocol = protocol
        self.drip_interval = drip_interval
        self.delay = delay
        self.status = status
        self.mode = "pass"
        self.requests_seen = 0
        self.relayed = 0
        self.injected: collections.Counter[str] = collections.Counter()
        self.keep_requests = keep_requests
        self.relayed_requests: list[bytes] = []
        self._left: int | None = None
        self._every: tuple[int, str] | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", port))
        self.port = int(self._listener.getsockname()[1])
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._spawn(self._accept_loop)

    @property
    def address(self) -> tuple[str, int]:
        """Where clients connect."""
        return "127.0.0.1", self.port

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>/``."""
        return f"http://127.0.0.1:{self.port}/"

    def switch(self, mode: str, count: int | None = None) -> None:
        """Inject ``mode`` from now on (``pass`` to behave); after ``count`` requests, behave.

        ``refuse`` closes the listening socket for good.
        """
        if mode not in (*FAULTS, "pass"):
            raise ConfigurationError(f"unknown fault {mode!r}; faults: {', '.join(FAULTS)}")
        with self._lock:
            self.mode, self._left, self._every = mode, count, None
        if mode == "refuse":
            with contextlib.suppress(OSError):
                self._listener.close()

    def every(self, n: int, mode: str) -> None:
        """Inject ``mode`` into every ``n``-th request from now on; relay the others."""
        if mode not in FAULTS or mode == "refuse" or n < 1:
            raise ConfigurationError(f"every: give n >= 1 and a fault other than refuse: {mode!r}")
        with self._lock:
            self.mode, self._left, self._every = "pass", None, (n, mode)

    def _fault_for_request(self, data: bytes = b"") -> str:
        """Count a request; return the fault it meets (``pass`` for none)."""
        with self._lock:
            self.requests_seen += 1
            mode = self.mode
            if self._every is not None:
                n, fault = self._every
                mode = fault if self.requests_seen % n == 0 else "pass"
            elif mode != "pass" and self._left is not None:
                self._left -= 1
                if self._left <= 0:
                    self.mode, self._left = "pass", None
            if mode != "pass":
                self.injected[mode] += 1
            if (mode in RELAYED or mode == "pass") and self.upstream is not None:
                self.relayed += 1
                if self.keep_requests:
                    self.relayed_requests.append(data)
            return mode

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        thread.start()
        self._threads.append(thread)

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self._sockets.append(client)
            self._spawn(self._serve, client)

    def _serve(self, client: socket.socket) -> None:
        upstream: socket.socket | None = None
        try:
            while not self._stop.is_set():
                readable = [client] + ([upstream] if upstream is not None else [])
                ready, _, _ = select.select(readable, [], [], 0.05)
                if upstream is not None and upstream in ready:
                    data = upstream.recv(_RECV)
                    if not data:
                        return
                    client.sendall(data)
                if client not in ready:
                    continue
                data = client.recv(_RECV)
                if not data:
                    return
                mode = self._fault_for_request(data)
                if mode == "pass":
                    upstream = upstream or self._connect_upstream()
                    upstream.sendall(data)
                elif mode in RELAYED and self.upstream is not None:
                    self._relay_faulty(mode, client, data, upstream)
                    return
                else:
                    self._canned(mode, client)
                    return
        except OSError:
            return
        finally:
            with contextlib.suppress(OSError):
                client.close()
            if upstream is not None:
                with contextlib.suppress(OSError):
                    upstream.close()

    def _connect_upstream(self) -> socket.socket:
        if self.upstream is None:
            raise ConfigurationError("relaying needs an upstream server")
        upstream = socket.create_connection(self.upstream)
        self._sockets.append(upstream)
        return upstream

    def _relay_faulty(
        self, mode: str, client: socket.socket, data: bytes, upstream: socket.socket | None
    ) -> None:
        """Relay the request; hand the answer back late, cut, doubled, dripped or never."""
        upstream = upstream or self._connect_upstream()
        upstream.sendall(data)
        pending = b""
        sent = 0
        started = time.monotonic()
        while not self._stop.is_set():
            ready, _, _ = select.select([client, upstream], [], [], 0.02)
            if client in ready:
                more = client.recv(_RECV)
                if not more:
                    return
                upstream.sendall(more)
            if upstream in ready:
                chunk = upstream.recv(_RECV)
                if not chunk and not pending:
                    return
                pending += chunk
            if not pending or mode == "stall":
                continue
            if mode == "delay":
                if time.monotonic() - started >= self.delay:
                    client.sendall(pending)
                    pending = b""
            elif mode == "duplicate":
                client.sendall(pending + pending)
                pending = b""
            elif mode == "truncate":
                cut = max(1, len(pending) // 2) if sent == 0 else 0
                client.sendall(pending[:cut])
                return
            elif mode == "drip":
                client.sendall(pending[:1])
                pending = pending[1:]
                sent += 1
                if self._stop.wait(self.drip_interval):
                    return

    def _canned(self, mode: str, client: socket.socket) -> None:
        """Answer without the server: silence, a reset, half an answer, an error, no end."""
        if mode in ("silent", "stall", "delay"):
            self._stop.wait()
        elif mode == "drip":
            for byte in _cycle(_DRIP[self.protocol]):
                client.sendall(byte)
                if self._stop.wait(self.drip_interval):
                    return
        elif mode == "reset":
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif mode in ("half", "truncate", "duplicate"):
            client.sendall(_HALF[self.protocol])
        elif mode == "error":
            if self.protocol == "http":
                client.sendall(_error_reply(self.status))
        elif mode == "endless":
            client.sendall(_ENDLESS_HEAD[self.protocol])
            filler = b"1," * 32768 if self.protocol == "http" else b"x" * 65536
            while not self._stop.is_set():
                client.sendall(filler)

    def close(self) -> None:
        """Stop every connection and the listener."""
        self._stop.set()
        for sock in [self._listener, *self._sockets]:
            with contextlib.suppress(OSError):
                sock.close()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<FaultProxy 127.0.0.1:{self.port} -> {self.upstream} {self.mode}>"


def _cycle(data: bytes) -> Iterator[bytes]:
    for index in itertools.cycle(range(len(data))):
        yield data[index : index + 1]


def elapsed_since(started: float) -> float:
    """Seconds since ``started`` (a ``time.monotonic()`` reading)."""
    return time.monotonic() - started
