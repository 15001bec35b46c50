"""A small misbehaving server: a TCP proxy on 127.0.0.1 that can stop behaving at any time.

In ``pass`` mode it relays every connection to the real server behind it, so a
test can create jobs through it. Switched to another mode, every request that
arrives afterwards (also on a kept-alive connection) gets that behaviour:

=========  ===============================================================
silent     accepts and reads the request, never answers (a frozen server)
drip       relays the real server's answer one byte every ``drip_interval``
           seconds (TLS included); with no server behind, a canned answer
reset      resets the connection (RST) when the request arrives
refuse     stops listening: connections are refused
half       sends half a reply, then closes
endless    sends a reply that never ends, as fast as it can
=========  ===============================================================

The canned replies are protocol-shaped (``http`` or ``lines``), so a client
reads them as the start of a real answer.
"""

from __future__ import annotations

import contextlib
import itertools
import select
import socket
import struct
import threading
import time
from collections.abc import Iterator

MODES = ("silent", "drip", "reset", "refuse", "half", "endless")

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


class MisbehavingServer:
    """A proxy to ``upstream`` (host, port) whose behaviour a test switches with :attr:`mode`."""

    def __init__(
        self,
        upstream: tuple[str, int] | None,
        protocol: str = "http",
        drip_interval: float = 1.0,
    ) -> None:
        self.upstream = upstream
        self.protocol = protocol
        self.drip_interval = drip_interval
        self.mode = "pass"
        self.requests_seen = 0
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
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

    def switch(self, mode: str) -> None:
        """Behave as ``mode`` from now on (``refuse`` closes the listening socket)."""
        assert mode in (*MODES, "pass"), mode
        self.mode = mode
        if mode == "refuse":
            with contextlib.suppress(OSError):
                self._listener.close()

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
                    data = upstream.recv(65536)
                    if not data:
                        return
                    client.sendall(data)
                if client not in ready:
                    continue
                data = client.recv(65536)
                if not data:
                    return
                self.requests_seen += 1
                if self.mode == "drip" and self.upstream is not None:
                    self._drip_relay(client, data, upstream)
                    return
                if self.mode != "pass":
                    self._misbehave(client)
                    return
                if upstream is None:
                    upstream = self._connect_upstream()
                upstream.sendall(data)
        except OSError:
            return
        finally:
            with contextlib.suppress(OSError):
                client.close()
            if upstream is not None:
                with contextlib.suppress(OSError):
                    upstream.close()

    def _connect_upstream(self) -> socket.socket:
        assert self.upstream is not None, "pass mode needs an upstream"
        upstream = socket.create_connection(self.upstream)
        self._sockets.append(upstream)
        return upstream

    def _drip_relay(
        self, client: socket.socket, data: bytes, upstream: socket.socket | None
    ) -> None:
        """Relay both ways, but the server's bytes reach the client one per interval."""
        upstream = upstream or self._connect_upstream()
        upstream.sendall(data)
        pending = b""
        while not self._stop.is_set():
            ready, _, _ = select.select([client, upstream], [], [], 0)
            if client in ready:
                data = client.recv(65536)
                if not data:
                    return
                upstream.sendall(data)
            if upstream in ready:
                pending += upstream.recv(65536)
            if pending:
                client.sendall(pending[:1])
                pending = pending[1:]
            if self._stop.wait(self.drip_interval):
                return

    def _misbehave(self, client: socket.socket) -> None:
        mode = self.mode
        if mode == "silent":
            self._stop.wait()
        elif mode == "drip":
            for byte in _cycle(_DRIP[self.protocol]):
                client.sendall(byte)
                if self._stop.wait(self.drip_interval):
                    return
        elif mode == "reset":
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif mode == "half":
            client.sendall(_HALF[self.protocol])
        elif mode == "endless":
            client.sendall(_ENDLESS_HEAD[self.protocol])
            filler = b"1," * 32768 if self.protocol == "http" else b"x" * 65536
            while not self._stop.is_set():
                client.sendall(filler)
        elif mode == "refuse":
            pass  # the listener is closed; a connection made before just ends

    def close(self) -> None:
        """Stop every connection and the listener."""
        self._stop.set()
        for sock in [self._listener, *self._sockets]:
            with contextlib.suppress(OSError):
                sock.close()

    def __enter__(self) -> MisbehavingServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _cycle(data: bytes) -> Iterator[bytes]:
    for index in itertools.cycle(range(len(data))):
        yield data[index : index + 1]


def elapsed_since(started: float) -> float:
    """Seconds since ``started`` (a ``time.monotonic()`` reading)."""
    return time.monotonic() - started
