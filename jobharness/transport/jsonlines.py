"""JSON-lines transport: one request per connection, over TCP or TLS.

The shape every JSON-lines server here shares (the harp dispatcher and harpd):
the client connects, writes exactly one request line, reads reply lines until the
server closes the connection. This module provides

* :func:`encode_line`: a strict JSON encoder for request lines. Floats always carry
  a decimal point (``1.0e-07``, never ``1e-07``) and text is written as raw UTF-8
  (never ``\\ud83d\\ude00`` surrogate escapes), so a server with a picky JSON lexer
  can parse it; values JSON cannot carry (NaN, lone surrogates, sets, objects)
  are rejected locally with a :class:`~jobharness.errors.ValidationError` that
  names where they were;
* :func:`decode_line`: UTF-8 decoding of one reply line into a JSON object, or a
  :class:`~jobharness.errors.ProtocolError`;
* :class:`JsonLinesClient`: connects (``TCP_NODELAY`` on, TLS when given a
  context), sends one request and returns a :class:`LineConnection` whose
  :meth:`~LineConnection.read_message` reads with a deadline in short read slices,
  so signals (Robot's timeouts, pytest-timeout, Ctrl-C) can cut in. Connecting,
  the TLS handshake, sending and every read end by the deadline of the request
  (its ``request_timeout``, or the deadline of the wait it is made for), however
  slowly the server sends; lines are limited to ``max_line_bytes``.

A connection closed before any reply line is reported as
:class:`RequestRejected`: the servers here answer a request they cannot decode
by closing the connection.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import math
import socket
import ssl
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from jobharness.deadline import Deadline, describe_limit, request_deadline
from jobharness.errors import (
    ConnectionLost,
    ProtocolError,
    RequestTimedOut,
    ServerError,
    ServerUnreachable,
    TLSFailed,
    TransportError,
    ValidationError,
)
from jobharness.redaction import Redactor, snippet
from jobharness.resources import Closing
from jobharness.transport.retry import RetryPolicy

__all__ = [
    "ConnectionLost",
    "JsonLinesClient",
    "LineConnection",
    "RequestRejected",
    "TLSFailed",
    "decode_line",
    "encode_json",
    "encode_line",
    "format_float",
]

log = logging.getLogger("jobharness.jsonlines")

READ_SLICE = 0.1
RECV_SIZE = 65536
QUICKACK_READS = 4
MAX_LINE_BYTES = 32 * 1024 * 1024
"""The longest reply line a connection accepts by default (32 MiB)."""
SHORTEST_READ = 0.001

_decode_json = json.JSONDecoder().decode


class RequestRejected(ServerError):
    """The server closed the connection without any reply to the request."""


# -- encoding ---------------------------------------------------------------------------------


def format_float(value: float, where: str) -> str:
    """``repr`` of a float with a decimal point in the mantissa (``1.0e-07``); no NaN/Infinity."""
    if math.isnan(value) or math.isinf(value):
        raise ValidationError(f"JSON cannot carry {value!r}", where)
    text = repr(value)
    mantissa, sep, exponent = text.partition("e")
    if sep and "." not in mantissa:
        return f"{mantissa}.0e{exponent}"
    return text


def _encode_str(value: str, where: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(
            "text holds a lone surrogate (half of a character) that UTF-8 cannot carry", where
        ) from None
    return json.dumps(value, ensure_ascii=False)


def _encode(value: Any, where: str, parts: list[str]) -> None:
    if value is None:
        parts.append("null")
    elif value is True:
        parts.append("true")
    elif value is False:
        parts.append("false")
    elif isinstance(value, str):
        parts.append(_encode_str(value, where))
    elif isinstance(value, int):
        parts.append(int.__repr__(value))
    elif isinstance(value, float):
        parts.append(format_float(value, where))
    elif isinstance(value, Mapping):
        parts.append("{")
        for index, (key, item) in enumerate(value.items()):
            if not isinstance(key, str):
                raise ValidationError(
                    f"JSON object keys must be text, got {type(key).__name__} {key!r}", where
                )
            if index:
                parts.append(", ")
            parts.append(_encode_str(key, f"{where}.{key}"))
            parts.append(": ")
            _encode(item, f"{where}.{key}", parts)
        parts.append("}")
    elif isinstance(value, (list, tuple)):
        parts.append("[")
        for index, item in enumerate(value):
            if index:
                parts.append(", ")
            _encode(item, f"{where}[{index}]", parts)
        parts.append("]")
    else:
        raise ValidationError(
            f"cannot send a value of type {type(value).__name__} as JSON: {snippet(repr(value))}",
            where,
        )


def encode_json(value: Any, where: str = "request") -> str:
    """Encode ``value`` as one line of JSON text the picky servers accept (see module doc)."""
    parts: list[str] = []
    _encode(value, where, parts)
    return "".join(parts)


def encode_line(value: Any, where: str = "request", limit: int | None = None) -> bytes:
    """Encode ``value`` as a UTF-8 JSON line ending in ``\\n``; enforce ``limit`` bytes if given."""
    data = encode_json(value, where).encode("utf-8") + b"\n"
    if limit is not None and len(data) > limit:
        raise ValidationError(
            f"the request is {len(data)} bytes long; the server accepts at most {limit} bytes "
            "per request line",
            where,
        )
    return data


def decode_line(line: bytes, source: str) -> dict[str, Any]:
    """Decode one reply line (UTF-8 JSON) into an object, or raise :class:`ProtocolError`."""
    try:
        message = _decode_json(line.decode("utf-8"))
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        shown = snippet(line)
        raise ProtocolError(
            f"{source} sent a line that is not UTF-8 JSON ({exc}): {shown!r}", snippet=shown
        ) from None
    if not isinstance(message, dict):
        shown = snippet(line)
        raise ProtocolError(
            f"{source} sent a JSON {type(message).__name__}, not an object: {shown!r}",
            snippet=shown,
        )
    return message


# -- connections -------------------------------------------------------------------------------


def set_low_latency(sock: socket.socket) -> None:
    """Turn Nagle off (``TCP_NODELAY``) and ask for immediate ACKs where the OS has it."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    quickack = getattr(socket, "TCP_QUICKACK", None)
    if quickack is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, quickack, 1)


class LineConnection(Closing):
    """One open connection: send the request line, then read reply messages until EOF.

    Every read waits at most ``read_slice`` seconds (so signals can cut in)
    and never past the deadline passed to :meth:`read_message`: a server that
    drips bytes is cut off when the deadline passes, whatever it sends. A
    line longer than ``max_line_bytes`` is a :class:`ProtocolError`.
    """

    def __init__(
        self,
        sock: socket.socket,
        source: str,
        *,
        read_slice: float = READ_SLICE,
        redact: Callable[[str], str] | None = None,
        max_line_bytes: int = MAX_LINE_BYTES,
    ) -> None:
        self.sock = sock
        self.source = source
        self.read_slice = read_slice
        self.redact = redact or (lambda text: text)
        self.max_line_bytes = max_line_bytes
        self.lines_read = 0
        self._partial = bytearray()
        self._lines: list[bytes] = []
        self._next = 0
        self._eof = False
        self._quickack = getattr(socket, "TCP_QUICKACK", None)
        # the first replies (harpd's acknowledgement and result, two small writes)
        # are where a delayed ACK stalls a peer that leaves Nagle on
        self._quickacks_left = QUICKACK_READS if self._quickack is not None else 0
        self._sock_timeout: float | None = None

    def send(self, data: bytes, deadline: Deadline | None = None) -> None:
        """Send raw bytes (a request line), within ``deadline`` if given."""
        try:
            if deadline is not None:
                self._settimeout(max(deadline.remaining(), SHORTEST_READ))
            self.sock.sendall(data)
        except TimeoutError:
            raise RequestTimedOut(
                f"{self.source} did not take the request within {describe_limit(deadline)}"
                if deadline is not None
                else f"{self.source} did not take the request"
            ) from None
        except OSError as exc:
            raise ConnectionLost(f"cannot send to {self.source}: {exc}") from exc

    def _settimeout(self, seconds: float) -> None:
        if seconds != self._sock_timeout:
            self.sock.settimeout(seconds)
            self._sock_timeout = seconds

    def _timed_out(self, deadline: Deadline) -> RequestTimedOut:
        return RequestTimedOut(
            f"{self.source} sent no complete line within {describe_limit(deadline)}"
        )

    def _recv(self, deadline: Deadline) -> bytes:
        while True:
            left = deadline.remaining()
            if left <= 0:
                raise self._timed_out(deadline)
            self._settimeout(min(self.read_slice, max(left, SHORTEST_READ)))
            try:
                if self._quickacks_left and self._quickack is not None:
                    self._quickacks_left -= 1
                    self.sock.setsockopt(socket.IPPROTO_TCP, self._quickack, 1)
                return self.sock.recv(RECV_SIZE)
            except (TimeoutError, ssl.SSLWantReadError):
                continue
            except OSError as exc:
                if exc.errno in (errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED) or isinstance(
                    exc, ssl.SSLError
                ):
                    raise ConnectionLost(
                        f"connection to {self.source} broke: {self.redact(str(exc))}"
                    ) from exc
                raise ConnectionLost(
                    f"reading from {self.source} failed: {self.redact(str(exc))}"
                ) from exc

    def _too_long(self, size: int) -> ProtocolError:
        shown = self.redact(snippet(bytes(self._partial[:200])))
        return ProtocolError(
            f"{self.source} sent a line of more than {self.max_line_bytes} bytes "
            f"({size} so far, no end of line): {shown!r}",
            snippet=shown,
        )

    def _take(self, chunk: bytes) -> None:
        """Add a received chunk: split off its complete lines, keep the unfinished tail."""
        cut = chunk.find(b"\n")
        if cut < 0:
            self._partial += chunk
            if len(self._partial) > self.max_line_bytes:
                raise self._too_long(len(self._partial))
            return
        lines = chunk.split(b"\n")
        if self._partial:
            self._partial += lines[0]
            if len(self._partial) > self.max_line_bytes:
                raise self._too_long(len(self._partial))
            lines[0] = bytes(self._partial)
        self._partial = bytearray(lines.pop())
        self._lines, self._next = lines, 0

    def read_line(self, deadline: Deadline) -> bytes | None:
        """The next raw line without its ``\\n``, or ``None`` at a clean end of the connection."""
        while True:
            if self._next < len(self._lines):
                line = self._lines[self._next]
                self._next += 1
                self.lines_read += 1
                return line
            if self._eof:
                rest, self._partial = bytes(self._partial), bytearray()
                if rest and not rest.isspace():
                    raise ConnectionLost(
                        f"{self.source} closed the connection in the middle of a line: "
                        f"{self.redact(snippet(rest))!r}"
                    )
                return None
            chunk = self._recv(deadline)
            if not chunk:
                self._eof = True
                continue
            self._take(chunk)

    def read_message(self, deadline: Deadline) -> dict[str, Any] | None:
        """The next reply as a JSON object, or ``None`` when the server closed the connection."""
        line = self.read_line(deadline)
        while line is not None and (not line or line.isspace()):
            line = self.read_line(deadline)
        if line is None:
            return None
        return self.read_message_strict(line)

    def messages(self, deadline: Deadline) -> Iterator[dict[str, Any]]:
        """Every reply message until the server closes the connection.

        The hot path of stream reading: the lines already received are decoded
        in one tight loop; only then is the socket read again.
        """
        decode = _decode_json
        while True:
            lines, index = self._lines, self._next
            while index < len(lines):
                line = lines[index]
                index += 1
                self._next = index
                if not line or line.isspace():
                    continue
                try:
                    message = decode(line.decode("utf-8"))
                except ValueError:
                    message = None
                if type(message) is not dict:
                    self.read_message_strict(line)  # raises the ProtocolError
                self.lines_read += 1
                yield message
            if (message := self.read_message(deadline)) is None:
                return
            yield message

    def read_message_strict(self, line: bytes) -> dict[str, Any]:
        """Decode ``line`` or raise the redacted :class:`ProtocolError` about it."""
        try:
            return decode_line(line, self.source)
        except ProtocolError as exc:
            raise ProtocolError(self.redact(str(exc)), snippet=self.redact(exc.snippet)) from None

    def close(self) -> None:
        """Close the connection (on harpd this also cancels the call)."""
        with contextlib.suppress(OSError):
            self.sock.close()


class JsonLinesClient:
    """Opens one connection per request to ``host:port`` (TLS when ``tls`` is given).

    ``request_timeout`` bounds one request (connecting, the TLS handshake and
    the reply) unless the wait it is made for ends sooner; ``name`` is how
    errors call the server (``harp dispatcher``); ``max_request_bytes``
    rejects too long request lines locally, ``max_line_bytes`` too long
    reply lines; ``retry`` says when a request is sent again.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        tls: ssl.SSLContext | None = None,
        server_hostname: str | None = None,
        request_timeout: float = 30.0,
        read_slice: float = READ_SLICE,
        name: str = "server",
        redactor: Redactor | None = None,
        max_request_bytes: int | None = None,
        max_line_bytes: int = MAX_LINE_BYTES,
        retry: RetryPolicy | None = None,
    ) -> None:
        if not isinstance(host, str) or not host:
            raise ValidationError("a host name or address is required", f"{name} host")
        if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
            raise ValidationError(
                f"must be a TCP port number (1-65535), got {port!r}", f"{name} port"
            )
        self.host = host
        self.port = port
        self.tls = tls
        self.server_hostname = server_hostname or host
        self.request_timeout = request_timeout
        self.read_slice = read_slice
        self.name = name
        self.redact = redactor or Redactor()
        self.max_request_bytes = max_request_bytes
        self.max_line_bytes = max_line_bytes
        self.retry = retry or RetryPolicy()

    @property
    def address(self) -> str:
        """``host:port`` (IPv6 literals bracketed)."""
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"{shown}:{self.port}"

    @property
    def url(self) -> str:
        """``tcp://host:port`` or ``tls://host:port``."""
        return f"{'tls' if self.tls else 'tcp'}://{self.address}"

    @property
    def source(self) -> str:
        """How messages name the server: ``harp dispatcher at tcp://127.0.0.1:3502``."""
        return f"{self.name} at {self.url}"

    def deadline(self, timeout: float | None = None) -> Deadline:
        """The deadline of one request: ``timeout`` (default the request timeout) or the wait's."""
        return request_deadline(self.request_timeout if timeout is None else timeout)

    def connect(self, deadline: Deadline | None = None) -> socket.socket:
        """Open a connection (TLS handshake included) or raise :class:`ServerUnreachable`."""
        deadline = deadline or self.deadline()
        left = deadline.remaining()
        if left <= 0:
            raise RequestTimedOut(
                f"cannot reach {self.source}: no time left ({describe_limit(deadline)})",
                url=self.url,
            )
        try:
            sock = socket.create_connection((self.host, self.port), timeout=left)
        except TimeoutError as exc:
            raise RequestTimedOut(
                f"cannot reach {self.source}: no connection within {describe_limit(deadline)}",
                url=self.url,
            ) from exc
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise ServerUnreachable(f"cannot reach {self.source}: {reason}", url=self.url) from exc
        try:
            set_low_latency(sock)
            if self.tls is not None:
                sock = self._handshake(sock, deadline)
        except ssl.SSLError as exc:
            sock.close()
            reason = getattr(exc, "verify_message", None) or exc.reason or str(exc)
            raise TLSFailed(
                f"TLS handshake with {self.source} failed: {reason}", url=self.url
            ) from exc
        except RequestTimedOut:
            sock.close()
            raise
        except OSError as exc:
            sock.close()
            raise ServerUnreachable(
                f"connection to {self.source} failed during setup: {exc.strerror or exc}",
                url=self.url,
            ) from exc
        return sock

    def _handshake(self, sock: socket.socket, deadline: Deadline) -> ssl.SSLSocket:
        """The TLS handshake, step by step, so that a server that drips it is cut off in time."""
        assert self.tls is not None
        wrapped = self.tls.wrap_socket(
            sock, server_hostname=self.server_hostname, do_handshake_on_connect=False
        )
        while True:
            left = deadline.remaining()
            if left <= 0:
                raise RequestTimedOut(
                    f"TLS handshake with {self.source} did not end within "
                    f"{describe_limit(deadline)}",
                    url=self.url,
                )
            # in timeout mode one call is bounded as a whole, and the next one resumes it
            wrapped.settimeout(min(self.read_slice, max(left, SHORTEST_READ)))
            with contextlib.suppress(TimeoutError):
                wrapped.do_handshake()
                return wrapped

    def open(
        self,
        request: Mapping[str, Any] | bytes,
        *,
        what: str = "request",
        deadline: Deadline | None = None,
    ) -> LineConnection:
        """Connect and send one request (a mapping, or an already encoded line)."""
        line = request if isinstance(request, bytes) else self.encode(request, what)
        deadline = deadline or self.deadline()
        started = time.monotonic()
        connection = LineConnection(
            self.connect(deadline),
            self.source,
            read_slice=self.read_slice,
            redact=self.redact,
            max_line_bytes=self.max_line_bytes,
        )
        try:
            connection.send(line, deadline)
        except BaseException:
            connection.close()
            raise
        log.debug("%s: sent %s in %.3f s", self.source, what, time.monotonic() - started)
        return connection

    def encode(self, request: Mapping[str, Any], what: str = "request") -> bytes:
        """Encode a request line with this server's size limit."""
        return encode_line(request, what, self.max_request_bytes)

    def exchange(
        self,
        request: Mapping[str, Any],
        *,
        what: str = "request",
        timeout: float | None = None,
        idempotent: bool = False,
    ) -> dict[str, Any]:
        """Send ``request`` and return the first reply; EOF first is :class:`RequestRejected`.

        ``timeout`` (default: the request timeout) is how long this call may
        take, retries included. An ``idempotent`` request is sent again after
        a lost or cut connection; any request after a refused connection.
        """
        line = self.encode(request, what)
        deadline = self.deadline(timeout)
        attempts = self.retry.attempts(deadline, idempotent)
        for _ in attempts:
            try:
                with self.open(line, what=what, deadline=deadline) as connection:
                    reply = connection.read_message(deadline)
                if reply is None:
                    raise self.rejected(what)
                return reply
            except TransportError as exc:
                pause = attempts.failed(exc)
                log.debug("%s: %s failed (%s); again in %.2f s", self.source, what, exc, pause)
                deadline.sleep(pause)
        raise AssertionError("unreachable: attempts never end on their own")

    def rejected(self, what: str) -> RequestRejected:
        """The error for a connection closed before any reply to ``what``."""
        return RequestRejected(
            f"{self.source} closed the connection without replying to {self.redact(what)}: "
            "request rejected",
            url=self.url,
        )
