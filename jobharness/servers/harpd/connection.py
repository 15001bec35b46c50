"""One harpd connection: TLS handshake, request, authentication, ack, and the reply lines."""

from __future__ import annotations

import contextlib
import logging
import queue
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from jobharness.servers.harpd.auth import Authenticator
from jobharness.servers.harpd.execution import Event, Execution
from jobharness.servers.harpd.proc import Procedure
from jobharness.servers.harpd.protocol import (
    MAX_REQUEST_BYTES,
    HarpdError,
    HarpdRequest,
    encode_line,
    parse_request,
    read_request_line,
)

log = logging.getLogger(__name__)

WAIT_SLICE = 0.1
CLOSE_TIMEOUT = 2.0
WRITE_TIMEOUT = 300.0
KEEPALIVE_SECONDS = 30


@dataclass
class HarpdContext:
    """What every connection needs: TLS, users, procedures, limits, and the shutdown flag."""

    ssl_context: ssl.SSLContext
    authenticator: Authenticator
    procedures: Mapping[str, Procedure]
    read_timeout: float = 10.0
    max_request_bytes: int = MAX_REQUEST_BYTES
    stopping: threading.Event = field(default_factory=threading.Event)


def tune_socket(sock: socket.socket) -> None:
    """TCP_NODELAY (no Nagle stall between ack and result) and keepalive like harpd."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    for option in ("TCP_KEEPIDLE", "TCP_KEEPINTVL"):
        if hasattr(socket, option):
            sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, option), KEEPALIVE_SECONDS)


def serve_connection(raw: socket.socket, peer: str, context: HarpdContext) -> None:
    """Handle one client connection from handshake to close."""
    tune_socket(raw)
    raw.settimeout(context.read_timeout)
    try:
        tls = context.ssl_context.wrap_socket(raw, server_side=True)
    except (ssl.SSLError, OSError) as exc:
        log.info("%s: TLS handshake failed: %s", peer, exc)
        raw.close()
        return
    try:
        _Call(tls, peer, context).run()
    finally:
        _close(tls)


def _close(tls: ssl.SSLSocket) -> None:
    """Send close_notify (bounded wait for the peer), then close."""
    with contextlib.suppress(OSError, ValueError):
        tls.settimeout(CLOSE_TIMEOUT)
        tls.unwrap().close()
    tls.close()


class _Call:
    """The request/reply exchange on an established TLS connection."""

    def __init__(self, tls: ssl.SSLSocket, peer: str, context: HarpdContext) -> None:
        self.tls = tls
        self.peer = peer
        self.context = context

    def send(self, line: bytes) -> bool:
        """Write one line; ``False`` when the client is gone (harpd's ``network_error``)."""
        try:
            self.tls.sendall(line)
            return True
        except OSError as exc:
            log.info("%s: network_error: %s", self.peer, exc)
            return False

    def run(self) -> None:
        """Validate, authenticate, look up, acknowledge, execute."""
        try:
            request = parse_request(read_request_line(self.tls, self.context.max_request_bytes))
            procedure = self._lookup(request)
        except HarpdError as exc:
            log.info("%s: %s: %s", self.peer, exc.type, exc.message)
            self.send(exc.line())
            return
        if self.context.stopping.is_set():
            self.send(HarpdError("shutdown", "service is shutting down").line())
            return
        log.info("%s: user %s calls %s", self.peer, request.user, request.procedure)
        self.tls.settimeout(WRITE_TIMEOUT)
        if self.send(encode_line({"harp": 1, "stream_result": procedure.streaming})):
            self._execute(procedure, request)

    def _lookup(self, request: HarpdRequest) -> Procedure:
        if not self.context.authenticator.authenticate(request.user, request.password):
            raise HarpdError("auth_error", "unknown user or wrong password")
        procedure = self.context.procedures.get(request.procedure)
        if procedure is None:
            raise HarpdError(
                "no_such_procedure", "no such procedure", {"procedure": request.procedure}
            )
        return procedure

    def _execute(self, procedure: Procedure, request: HarpdRequest) -> None:
        execution = Execution(procedure, request.arguments, name=f"harpd {request.procedure}")
        execution.start()
        deadline = None if procedure.timeout is None else time.monotonic() + procedure.timeout
        try:
            while True:
                event = self._next_event(execution, deadline)
                if event is None:
                    return
                if not self._send_event(event):
                    return
                if event.kind != "packet":
                    return
        finally:
            execution.stop()

    def _next_event(self, execution: Execution, deadline: float | None) -> Event | None:
        """The next event, or ``None`` after sending a timeout or shutdown error."""
        while True:
            if self.context.stopping.is_set():
                self.send(HarpdError("shutdown", "service is shutting down").line())
                return None
            wait = WAIT_SLICE
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    log.info("%s: %s: timeout", self.peer, execution.procedure)
                    self.send(HarpdError("timeout", "maximum execution time exceeded").line())
                    return None
                wait = min(wait, left)
            try:
                return execution.events.get(timeout=wait)
            except queue.Empty:
                continue

    def _send_event(self, event: Event) -> bool:
        """Send one event; ``False`` if the exchange is over (error sent or client gone)."""
        if event.kind == "exception":
            exc = event.value
            message = {
                "exception": {
                    "type": type(exc).__name__,
                    "message": str(exc),
                    "data": {"class": type(exc).__name__, "module": type(exc).__module__},
                }
            }
            return self.send(encode_line(message))
        key = "stream" if event.kind == "packet" else "result"
        try:
            line = encode_line({key: event.value})
        except HarpdError as exc:
            log.info("%s: %s: %s", self.peer, exc.type, exc.message)
            self.send(exc.line())
            return False
        return self.send(line)
