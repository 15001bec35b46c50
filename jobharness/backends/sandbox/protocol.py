"""What the sync and async sandbox clients share: routes, ids, answers and errors.

Nothing here does I/O; :class:`~jobharness.backends.sandbox.Sandbox` and
:class:`~jobharness.backends.sandbox.ASandbox` differ only in how they send.
"""

from __future__ import annotations

import json
import uuid as uuidlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from jobharness.errors import ProtocolError, ValidationError
from jobharness.redaction import snippet

SERVER_NAME = "sandbox"
SPECIFICATIONS = "specifications/"
USAGES = "usages/"
LIBRARIES = "libraries/"
EXECUTE = "execute/"
EXECUTE_RETRY_STATUSES = (503,)  # no container was free: the server refused before running


def environment_id(value: str | uuidlib.UUID) -> str:
    """The canonical (lowercase, hyphenated) form of an environment uuid.

    The server's route only matches that form, so anything else is refused here.
    """
    if isinstance(value, uuidlib.UUID):
        return str(value)
    try:
        return str(uuidlib.UUID(str(value).strip()))
    except ValueError:
        raise ValidationError(f"{value!r} is not an environment uuid", "uuid") from None


def environment_route(uuid: str | uuidlib.UUID, path: str | None = None) -> str:
    """``environments/<uuid>/`` or ``files/<uuid>/<path>/`` (the path is URL-quoted)."""
    env = environment_id(uuid)
    if path is None:
        return f"environments/{env}/"
    clean = str(path).strip("/")
    if not clean:
        raise ValidationError("must name a file inside the environment", "path")
    return f"files/{env}/{quote(clean, safe='/')}/"


def content_length(headers: Mapping[str, str], url: str) -> int:
    """The ``Content-Length`` of a HEAD answer as an int, or ProtocolError."""
    value = headers.get("Content-Length")
    if value is None:
        raise ProtocolError(
            f"HEAD {url}: sandbox answered 200 without a Content-Length (the size asked for)",
            url=url,
        )
    if not value.strip().isdigit():
        raise ProtocolError(
            f"HEAD {url}: sandbox sent Content-Length {snippet(value)!r}, not a size in bytes",
            url=url,
            snippet=snippet(value),
        )
    return int(value)


def checked_download(data: bytes, route: str, url: str) -> bytes:
    """``data`` of a download: a whole environment must be a gzip archive, else ProtocolError."""
    if route.startswith("environments/") and data[:2] != b"\x1f\x8b":
        shown = snippet(data)
        raise ProtocolError(
            f"GET {url}: sandbox answered 200 with {len(data)} bytes that are not a gzip "
            f"archive (an environment is a .tgz): {shown!r}",
            url=url,
            snippet=shown,
        )
    return data


def decode_json(text: str | bytes, *, method: str, url: str, status: int) -> Any:
    """Decode a JSON answer, or raise ProtocolError quoting its start."""
    try:
        return json.loads(text)
    except ValueError:
        body = snippet(text)
        raise ProtocolError(
            f"{method} {url}: {SERVER_NAME} answered {status} with a body that is not JSON: "
            f"{body!r}",
            url=url,
            snippet=body,
        ) from None


def json_object(data: Any, *, method: str, url: str) -> dict[str, Any]:
    """``data`` if it is a JSON object, else ProtocolError."""
    if not isinstance(data, dict):
        text = snippet(repr(data))
        raise ProtocolError(
            f"{method} {url}: {SERVER_NAME} answered a {type(data).__name__} where an object "
            f"was expected: {text}",
            url=url,
            snippet=text,
        )
    return data


def failure_message(method: str, url: str, status: int, reason: str, body: str) -> str:
    """``POST http://h/execute/ -> 400 Bad Request: <body>`` (the body already shortened)."""
    text = f"{method} {url} -> {status} {reason}".rstrip()
    return f"{text}: {body}" if body else text
