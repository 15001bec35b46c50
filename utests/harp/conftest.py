"""Fixtures of the harp client tests.

The clients are tested against real embedded servers: the plugin's session
pair (``harp_server``, ``harp``, ``harpd``), and per-test pairs with
injected faults from ``start_harp``. ``line_server`` is the one stand-in: a
loopback TCP server that answers with whatever bytes a test gives it, for
replies the real servers cannot be made to send (garbage, half a line).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator

import pytest

from jobharness.backends.harp import HarpCaller
from jobharness.backends.harp.target import HarpTargets, embedded_targets


@pytest.fixture
def start_harp() -> Iterator[Callable[..., HarpTargets]]:
    """Start an embedded harpd + dispatcher pair (``faults`` for the dispatcher); stopped after."""
    started: list[HarpTargets] = []

    def start(*faults: str) -> HarpTargets:
        targets = embedded_targets(faults=faults)
        started.append(targets)
        return targets

    yield start
    for targets in started:
        targets.stop()


@pytest.fixture
def caller_for() -> Callable[..., HarpCaller]:
    """A caller with short waits for a pair started by ``start_harp``."""

    def make(targets: HarpTargets, **kwargs: object) -> HarpCaller:
        options: dict[str, object] = {"request_timeout": 10.0, "wait_timeout": 20.0, **kwargs}
        return targets.caller(**options)

    return make


class LineServer:
    """A loopback TCP server; each connection gets the next scripted reply, then is closed.

    ``received`` holds the request bytes of each connection.
    """

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.replies: list[bytes | None] = []
        self.received: list[bytes] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                data = b""
                with contextlib.suppress(OSError):
                    while not data.endswith(b"\n"):
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                self.received.append(data)
                reply = self.replies.pop(0) if self.replies else b""
                if reply is None:  # hold the connection open without answering
                    with contextlib.suppress(OSError):
                        conn.recv(1)
                    continue
                with contextlib.suppress(OSError):
                    conn.sendall(reply)

    def close(self) -> None:
        """Stop accepting."""
        self.sock.close()


@pytest.fixture
def line_server() -> Iterator[LineServer]:
    """A scripted loopback line server (see :class:`LineServer`)."""
    server = LineServer()
    yield server
    server.close()
