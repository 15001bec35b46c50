"""The harpd listener: one thread per connection (no backlog-1 bottleneck)."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from typing import Any

from jobharness.servers.harpd.connection import HarpdContext, serve_connection

SHUTDOWN_GRACE = 2.0


class _Handler(socketserver.BaseRequestHandler):
    server: HarpdServer

    def handle(self) -> None:
        self.server.track(+1)
        try:
            peer = f"{self.client_address[0]}:{self.client_address[1]}"
            serve_connection(self.request, peer, self.server.context)
        finally:
            self.server.track(-1)

    def finish(self) -> None:
        """The TLS layer closed the connection already."""


class HarpdServer(socketserver.ThreadingTCPServer):
    """A threading TCP server that hands each connection to :func:`serve_connection`."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], context: HarpdContext) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.context = context
        self._active = 0
        self._idle = threading.Condition()
        super().__init__(address, _Handler)

    def shutdown_request(self, request: Any) -> None:
        """Nothing to do: the handler closed (and detached) the socket itself."""
        self.close_request(request)

    def track(self, delta: int) -> None:
        """Count connections in progress."""
        with self._idle:
            self._active += delta
            self._idle.notify_all()

    def stop_connections(self, grace: float = SHUTDOWN_GRACE) -> None:
        """Make running calls send ``shutdown`` errors and wait up to ``grace`` for them."""
        self.context.stopping.set()
        end = time.monotonic() + grace
        with self._idle:
            while self._active and time.monotonic() < end:
                self._idle.wait(end - time.monotonic())
