"""harpd wire format: reading the request line, validating it, encoding reply lines.

Validation follows harpd's order and messages exactly: framing, JSON parse,
structure, credentials. Every failure is a :class:`HarpdError` whose
:meth:`~HarpdError.line` is the error line sent to the client.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from typing import Any

MAX_REQUEST_BYTES = 4 * 1024 * 1024


class HarpdError(Exception):
    """A failure reported to the client as an ``error`` line (which carries ``"harp": 1``)."""

    def __init__(self, type: str, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.type = type
        self.message = message
        self.data = data

    def line(self) -> bytes:
        """The encoded error line."""
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return encode_line({"harp": 1, "error": error})


@dataclass(frozen=True)
class HarpdRequest:
    """A validated call request."""

    procedure: str
    arguments: list[Any] | dict[str, Any]
    user: str
    password: str


def encode_line(message: dict[str, Any]) -> bytes:
    """One reply line: ASCII-only JSON with sorted keys, like harpd.

    Raises :class:`HarpdError` ``invalid_message`` when ``message`` cannot be encoded.
    """
    try:
        text = json.dumps(message, sort_keys=True)
    except (TypeError, ValueError, RecursionError) as exc:
        raise HarpdError("invalid_message", str(exc)) from exc
    return text.encode("ascii") + b"\n"


def read_request_line(sock: socket.socket, limit: int = MAX_REQUEST_BYTES) -> bytes:
    """Read the single request line; the socket's timeout bounds the wait."""
    buffer = bytearray()
    while b"\n" not in buffer:
        try:
            chunk = sock.recv(65536)
        except TimeoutError as exc:
            raise HarpdError("read_error", str(exc) or "The read operation timed out") from exc
        except OSError as exc:
            raise HarpdError("read_error", str(exc)) from exc
        if not chunk or len(buffer) + len(chunk) > limit:
            raise HarpdError("invalid_request", "request incomplete or too long")
        buffer += chunk
    line, _, rest = bytes(buffer).partition(b"\n")
    if rest:
        raise HarpdError("invalid_request", "excessive data after request")
    return line


def parse_request(line: bytes) -> HarpdRequest:
    """Decode and validate a request line."""
    try:
        request = json.loads(line)
    except (ValueError, RecursionError) as exc:
        raise HarpdError("parse_error", str(exc)) from exc
    if not isinstance(request, dict):
        raise HarpdError("invalid_request", "invalid request data type")
    version = request.get("harp")
    if type(version) is not int or version != 1:
        raise HarpdError("invalid_request", "unsupported protocol version")
    procedure = request.get("procedure")
    arguments = request.get("arguments")
    if not isinstance(procedure, str) or not isinstance(arguments, list | dict):
        raise HarpdError("invalid_request", "invalid request")
    auth = request.get("auth")
    if (
        not isinstance(auth, dict)
        or not isinstance(auth.get("user"), str)
        or not isinstance(auth.get("password"), str)
    ):
        raise HarpdError("invalid_request", "malformed credentials data")
    return HarpdRequest(procedure, arguments, auth["user"], auth["password"])
