"""The dispatcher's connection to a harpd: TLS, one request, ack, then reply lines.

Failures are :class:`LinkFailure` carrying the ``error`` object HarpCaller
reports for them (§1.9): ``ssl``, ``closed``, ``bad_protocol``,
``bad_address``, POSIX codes such as ``econnrefused``, ``timeout``.
"""

from __future__ import annotations

import contextlib
import errno
import json
import socket
import ssl
from typing import Any

from jobharness.servers.harp.codec import QuirkError, decode_line
from jobharness.servers.harp.hosts import HostEntry

CONNECT_TIMEOUT = 10.0
CHUNK = 1 << 16


class LinkFailure(Exception):
    """The call failed on the harpd leg; :attr:`error` is the ``error`` object to store."""

    def __init__(self, type: str, message: str) -> None:
        super().__init__(f"{type}: {message}")
        self.error: dict[str, Any] = {"type": type, "message": message}

    @classmethod
    def passthrough(cls, error: Any) -> LinkFailure:
        """A failure that forwards harpd's own ``error`` object unchanged."""
        if not isinstance(error, dict) or not isinstance(error.get("type"), str):
            raise _bad_protocol()
        failure = cls(error["type"], str(error.get("message", "")))
        failure.error = dict(error)
        return failure


class JobCrash(Exception):
    """harpd sent a line HarpCaller cannot decode: the job dies without a result."""


def failure_from_os_error(exc: BaseException) -> LinkFailure:
    """The HarpCaller error for a socket, DNS or TLS exception."""
    if isinstance(exc, ssl.SSLError):
        return LinkFailure("ssl", str(exc))
    if isinstance(exc, TimeoutError):
        return LinkFailure("timeout", "request timed out")
    if isinstance(exc, socket.gaierror):
        return LinkFailure("nxdomain", "non-existing domain")
    code = errno.errorcode.get(exc.errno) if isinstance(exc, OSError) and exc.errno else None
    if code is not None:
        text = getattr(exc, "strerror", None) or code
        return LinkFailure(code.lower(), text[:1].lower() + text[1:])
    return LinkFailure("unrecognized", f"unknown error: {exc}")


def _bad_protocol() -> LinkFailure:
    return LinkFailure("bad_protocol", "Harp protocol error")


class HarpdLink:
    """One call to one harpd; :meth:`abort` may be called from another thread."""

    def __init__(self, entry: HostEntry, context: ssl.SSLContext, quirks: bool = True) -> None:
        self.entry = entry
        self.context = context
        self.quirks = quirks
        self.streaming = False
        self._sock: ssl.SSLSocket | None = None
        self._buffer = bytearray()
        self._scanned = 0
        self._aborted = False

    def open(self, procedure: str, arguments: Any) -> None:
        """Connect, send the request and read the ack, all within 10 s."""
        port = self.entry.port
        if not self.entry.address or type(port) is not int or not 0 < port < 65536:
            raise LinkFailure("bad_address", "invalid host address or port number")
        try:
            raw = socket.create_connection((self.entry.address, port), timeout=CONNECT_TIMEOUT)
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sock = self.context.wrap_socket(raw, server_hostname=self.entry.address)
            if self._aborted:
                raise LinkFailure("closed", "connection closed unexpectedly")
            request = {
                "harp": 1,
                "procedure": procedure,
                "arguments": arguments,
                "auth": {"user": self.entry.user, "password": self.entry.password},
            }
            self._sock.sendall(json.dumps(request).encode("utf-8") + b"\n")
        except OSError as exc:
            raise failure_from_os_error(exc) from exc
        ack = self.next_message(CONNECT_TIMEOUT)
        if "error" in ack and ack.get("harp") == 1:
            raise LinkFailure.passthrough(ack["error"])
        if ack.get("harp") != 1 or not isinstance(ack.get("stream_result"), bool):
            raise _bad_protocol()
        self.streaming = ack["stream_result"]

    def next_message(self, timeout: float) -> dict[str, Any]:
        """The next line as an object; ``TimeoutError`` if none came within ``timeout``."""
        line = self._read_line(timeout)
        try:
            message = decode_line(line, self.quirks)
        except QuirkError as exc:
            raise JobCrash(str(exc)) from exc
        except (ValueError, RecursionError) as exc:
            raise _bad_protocol() from exc
        if not isinstance(message, dict):
            raise _bad_protocol()
        return message

    def _read_line(self, timeout: float) -> bytes:
        if self._sock is None:
            raise LinkFailure("closed", "connection closed unexpectedly")
        while True:
            end = self._buffer.find(b"\n", self._scanned)
            if end >= 0:
                line = bytes(self._buffer[:end])
                del self._buffer[: end + 1]
                self._scanned = 0
                return line
            self._scanned = len(self._buffer)
            self._sock.settimeout(max(timeout, 0.001))
            try:
                chunk = self._sock.recv(CHUNK)
            except TimeoutError:
                if self._aborted:
                    raise LinkFailure("closed", "connection closed unexpectedly") from None
                raise
            except OSError as exc:
                if self._aborted:
                    raise LinkFailure("closed", "connection closed unexpectedly") from exc
                raise failure_from_os_error(exc) from exc
            if not chunk:
                raise LinkFailure("closed", "connection closed unexpectedly")
            self._buffer += chunk

    def abort(self) -> None:
        """Cut the connection (cancellation): the reading thread gets a ``closed`` failure."""
        self._aborted = True
        if self._sock is not None:
            with contextlib.suppress(OSError):
                socket.socket.shutdown(self._sock, socket.SHUT_RDWR)

    def close(self) -> None:
        """Close the connection."""
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
