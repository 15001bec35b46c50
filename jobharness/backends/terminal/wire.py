"""The agent's wire, controller side: frames, and a data-only codec.

A frame is :data:`~jobharness.backends.terminal.agent.HEADER` (magic byte
``0xA7``, kind, request id, payload length; big-endian ``>BBII``) and a
payload. Structured payloads (hello, calls, results, errors) are a 4-byte
JSON length, JSON text, then raw bytes that ``{"$b": [offset, length]}``
tags point into. JSON objects with one ``$`` key are tags:

=========================  ===============================================
``{"$b": [off, len]}``     bytes (raw, after the JSON)
``{"$t": [...]}``          a tuple
``{"$set": [...]}``        a set (``$fset``: a frozenset)
``{"$map": [[k, v], ...]}``  a dict whose keys are not all plain strings
``{"$f": "nan"}``          a float JSON cannot carry (nan, inf, -inf)
``{"$ih": "hex"}``         an int too long for JSON's decimal text
``{"$ref": id, ...}``      an object kept by the agent (``type``, ``spec``,
                           ``specdef`` the first time), or a proxy sent back
``{"$name": "os.path"}``   (to the agent) an object named in its namespace
``{"$fn": "getitem"}``     (to the agent) one of its fixed operations
=========================  ===============================================

Nothing else is accepted: an unknown tag, a blob out of bounds, a frame with
a bad magic byte or an unknown kind is an :class:`UnableToDeserialize` or a
:class:`~jobharness.errors.ProtocolError`, never something to run. The
controller only ever calls :func:`json.loads` and builds the types above.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jobharness.backends.terminal import agent
from jobharness.backends.terminal.runner_errors import UnableToDeserialize
from jobharness.errors import ConfigurationError, ProtocolError
from jobharness.redaction import snippet

HEADER = agent.HEADER
JSON_LEN = agent.JSON_LEN
MAGIC = agent.MAGIC
MAX_PAYLOAD = agent.MAX_PAYLOAD
PROTOCOL = agent.PROTOCOL
KIND_NAMES = {
    agent.HELLO: "hello",
    agent.CONFIG: "config",
    agent.CALL: "call",
    agent.RESULT: "result",
    agent.ERROR: "error",
    agent.PING: "ping",
    agent.PONG: "pong",
    agent.RELEASE: "release",
    agent.CANCEL: "cancel",
    agent.BYE: "bye",
}
BIG_FRAME = 1 << 16
"""Payloads above this many bytes are gathered in chunks, then joined once."""


@dataclass(frozen=True)
class Frame:
    """One frame read from the agent."""

    kind: int
    rid: int
    payload: bytes


def frame(kind: int, rid: int, parts: list[bytes] | tuple[bytes, ...] = ()) -> bytes:
    """The bytes of one frame whose payload is ``parts`` joined."""
    size = sum(len(part) for part in parts)
    if size > MAX_PAYLOAD:
        raise ConfigurationError(
            f"a message of {size} bytes is more than the agent takes ({MAX_PAYLOAD})"
        )
    return b"".join([HEADER.pack(MAGIC, kind, rid, size), *parts])


class FrameReader:
    """Cuts frames out of a byte stream; anything that is not a frame is a ProtocolError.

    A large frame's chunks are kept in a list and joined once, when whole.
    """

    def __init__(self, what: str = "the agent") -> None:
        self.what = what
        self.buffer = bytearray()
        self._big: list[bytes] = []  # the chunks of a large frame's payload, while it comes
        self._need = 0  # bytes of that payload still to come
        self._head = (0, 0)  # that frame's kind and request id

    def feed(self, data: bytes) -> list[Frame]:
        """Add ``data``; return every whole frame now in the buffer."""
        if self._need:
            return self._more(data)
        buffer = self.buffer
        if not buffer and len(data) >= HEADER.size:  # the usual case: one whole frame
            magic, kind, rid, size = HEADER.unpack_from(data)
            if len(data) == HEADER.size + size and magic == MAGIC and kind in KIND_NAMES:
                return [Frame(kind, rid, data[HEADER.size :])]
        buffer += data
        frames = []
        while len(buffer) >= HEADER.size:
            magic, kind, rid, size = HEADER.unpack_from(buffer)
            if magic != MAGIC or kind not in KIND_NAMES or size > MAX_PAYLOAD:
                raise ProtocolError(
                    f"{self.what} sent something that is not a frame: "
                    f"{snippet(bytes(buffer[:80]), 80)!r}",
                    snippet=snippet(bytes(buffer[:200])),
                )
            end = HEADER.size + size
            if len(buffer) < end:
                if size > BIG_FRAME:
                    self._big, self._head = [bytes(buffer[HEADER.size :])], (kind, rid)
                    self._need = end - len(buffer)
                    buffer.clear()
                break
            frames.append(Frame(kind, rid, bytes(buffer[HEADER.size : end])))
            del buffer[:end]
        return frames

    def _more(self, data: bytes) -> list[Frame]:
        """A chunk of a large frame's payload (and perhaps what follows it)."""
        if len(data) < self._need:
            self._big.append(data)
            self._need -= len(data)
            return []
        self._big.append(data[: self._need])
        rest = data[self._need :]
        frame = Frame(*self._head, b"".join(self._big))
        self._big, self._need = [], 0
        return [frame, *self.feed(rest)] if rest else [frame]


# -- encoding (controller -> agent) -------------------------------------------------------


@dataclass(frozen=True)
class RemoteRef:
    """An object the agent keeps, and an attribute path: ``{"$ref": id, "path": [...]}``."""

    hid: int
    path: tuple[str, ...] = ()


@dataclass(frozen=True)
class RemoteName:
    """An object named in the agent's namespace: ``{"$name": "os.path", "path": [...]}``."""

    name: str
    path: tuple[str, ...] = ()


@dataclass(frozen=True)
class RemoteFn:
    """One of the agent's fixed operations (``getitem``, ``len``...): ``{"$fn": name}``."""

    name: str

    def __post_init__(self) -> None:
        if self.name not in agent.FUNCTIONS:
            raise ConfigurationError(f"the agent has no operation {self.name!r}")


class Encoder:
    """Local data to JSON-ready values and blobs; proxies become their remote targets.

    ``target`` returns a :class:`RemoteRef` or :class:`RemoteName` for a
    proxy, ``None`` for anything else.
    """

    def __init__(self, target: Callable[[Any], Any] = lambda value: None) -> None:
        self.target = target

    def pack(self, value: Any) -> list[bytes]:
        """The payload parts of ``value`` (JSON length, JSON, blobs)."""
        blobs = _Blobs()
        data = _ENCODER.encode(self.encode(value, blobs, 0)).encode("ascii")
        return [JSON_LEN.pack(len(data)), data, *blobs]

    def encode(self, x: Any, blobs: _Blobs, depth: int) -> Any:
        """``x`` as JSON-ready data; a ConfigurationError for what is not data nor a proxy."""
        kind = type(x)
        if kind is str or x is None or kind is bool:
            return x
        if kind is int:
            return x if x.bit_length() < agent.BIG_INT_BITS else {"$ih": format(x, "x")}
        if kind is float:
            return x if math.isfinite(x) else {"$f": repr(x)}
        if depth > agent.MAX_DEPTH:
            raise ConfigurationError(f"data nested more than {agent.MAX_DEPTH} deep")
        if kind is dict:
            for key in x:
                if type(key) is not str or key[:1] == "$":
                    pairs = [
                        [self.encode(k, blobs, depth + 1), self.encode(v, blobs, depth + 1)]
                        for k, v in x.items()
                    ]
                    return {"$map": pairs}
            return {k: self.encode(v, blobs, depth + 1) for k, v in x.items()}
        if kind is list:
            return [self.encode(item, blobs, depth + 1) for item in x]
        if kind is RemoteName:
            return {"$name": x.name, "path": list(x.path)} if x.path else {"$name": x.name}
        if kind is RemoteRef:
            return {"$ref": x.hid, "path": list(x.path)} if x.path else {"$ref": x.hid}
        if kind is RemoteFn:
            return {"$fn": x.name}
        if isinstance(x, (bytes, bytearray, memoryview)):
            data = bytes(x)
            blobs.append(data)
            blobs.size += len(data)
            return {"$b": [blobs.size - len(data), len(data)]}
        if isinstance(x, tuple):
            return {"$t": [self.encode(item, blobs, depth + 1) for item in x]}
        if isinstance(x, (set, frozenset)):
            tag = "$fset" if isinstance(x, frozenset) else "$set"
            return {tag: [self.encode(item, blobs, depth + 1) for item in x]}
        target = self.target(x)
        if target is not None:
            return self.encode(target, blobs, depth)
        if isinstance(x, (dict, list)):  # subclasses: as the plain container
            return self.encode(dict(x) if isinstance(x, dict) else list(x), blobs, depth)
        if isinstance(x, str):
            return str.__str__(x)
        if isinstance(x, (int, float)):
            plain = int.__int__(x) if isinstance(x, int) else float.__float__(x)
            return self.encode(plain, blobs, depth)
        raise ConfigurationError(
            f"cannot send a {kind.__module__}.{kind.__qualname__} to the target: only data "
            "(None, bool, int, float, str, bytes, lists, tuples, sets, dicts) and proxies travel"
        )


class _Blobs(list[bytes]):
    """The raw parts of a payload, and their total size."""

    size = 0


_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)


def pack_json(value: Any) -> bytes:
    """Plain JSON payload (config, releases): no tags needed."""
    return _ENCODER.encode(value).encode("ascii")


# -- decoding (agent -> controller) -------------------------------------------------------

_PLAIN_TAGS = frozenset({"$b", "$t", "$set", "$fset", "$map", "$f", "$ih"})
_FLOATS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def _bad(message: str) -> UnableToDeserialize:
    return UnableToDeserialize(f"the agent's reply is not valid data: {message}")


class _Context(threading.local):
    raw: memoryview = memoryview(b"")
    make_ref: Callable[[dict[str, Any]], Any] = staticmethod(lambda d: None)


_CONTEXT = _Context()


def _hook(d: dict[str, Any]) -> Any:
    if "$ref" in d:
        if type(d["$ref"]) is not int or not isinstance(d.get("type", ""), str):
            raise _bad(f"a malformed reference {snippet(repr(d), 80)}")
        return _CONTEXT.make_ref(d)
    if len(d) != 1:
        return _check_plain(d)
    ((key, value),) = d.items()
    if key[:1] != "$":
        return d
    if key not in _PLAIN_TAGS:
        raise _bad(f"unknown tag {key!r}")
    return _tag(key, value, _CONTEXT.raw)


_DECODER = json.JSONDecoder(object_hook=_hook)


def unpack(payload: bytes, make_ref: Callable[[dict[str, Any]], Any]) -> Any:
    """The data of a structured payload; ``make_ref`` turns each ``$ref`` into a local object.

    Raises :class:`UnableToDeserialize` for anything that is not data.
    """
    if len(payload) < JSON_LEN.size:
        raise _bad(f"{len(payload)} bytes, too short")
    (size,) = JSON_LEN.unpack_from(payload)
    start = JSON_LEN.size + size
    if start > len(payload):
        raise _bad(f"JSON of {size} bytes in a payload of {len(payload)}")
    _CONTEXT.raw = memoryview(payload)[start:]
    _CONTEXT.make_ref = make_ref
    try:
        return _DECODER.decode(payload[JSON_LEN.size : start].decode("utf-8"))
    except UnableToDeserialize:
        raise
    except (ValueError, TypeError, RecursionError) as exc:
        raise _bad(f"{type(exc).__name__}: {exc}") from None
    finally:
        _CONTEXT.raw = memoryview(b"")


def _check_plain(d: dict[str, Any]) -> dict[str, Any]:
    for key in d:
        if key[:1] == "$":
            raise _bad(f"unknown tag {key!r} in an object of {len(d)} keys")
    return d


def _tag(key: str, value: Any, raw: memoryview) -> Any:
    if key == "$b":
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(type(v) is int and v >= 0 for v in value)
            or value[0] + value[1] > len(raw)
        ):
            raise _bad(f"a blob {value!r} outside the {len(raw)} raw bytes")
        return bytes(raw[value[0] : value[0] + value[1]])
    if key == "$f":
        if value not in _FLOATS:
            raise _bad(f"a float tag {value!r}")
        return _FLOATS[value]
    if key == "$ih":
        if not isinstance(value, str):
            raise _bad(f"an int tag {value!r}")
        return int(value, 16)
    if not isinstance(value, list):
        raise _bad(f"{key} needs a list, got {type(value).__name__}")
    if key == "$t":
        return tuple(value)
    if key == "$map":
        if not all(isinstance(pair, list) and len(pair) == 2 for pair in value):
            raise _bad("$map needs [key, value] pairs")
        try:
            return {k: v for k, v in value}
        except TypeError as exc:
            raise _bad(f"a key that cannot be a dict key ({exc})") from None
    try:
        return frozenset(value) if key == "$fset" else set(value)
    except TypeError as exc:
        raise _bad(f"a set item that cannot be hashed ({exc})") from None


def ref_ids(payload: bytes) -> list[int]:
    """The reference ids a payload holds (to release a reply nobody will read)."""
    found: list[int] = []

    def hook(d: dict[str, Any]) -> Any:
        if type(d.get("$ref")) is int:
            found.append(d["$ref"])
        return d

    try:
        (size,) = JSON_LEN.unpack_from(payload)
        json.loads(payload[JSON_LEN.size : JSON_LEN.size + size].decode("utf-8"), object_hook=hook)
    except (ValueError, TypeError, RecursionError, IndexError):
        return []
    return found


@dataclass(frozen=True)
class ErrorInfo:
    """A remote exception as data: its class, first builtin base, message and traceback text."""

    type: str
    module: str
    builtin: str
    message: str
    traceback: str

    @property
    def qualified(self) -> str:
        """``module.Type`` (just ``Type`` for builtins)."""
        return self.type if self.module == "builtins" else f"{self.module}.{self.type}"


def unpack_error(payload: bytes) -> ErrorInfo:
    """The remote error of an ERROR frame."""
    info = unpack(payload, lambda d: None)
    if not isinstance(info, dict):
        raise _bad(f"an error that is a {type(info).__name__}")
    fields = {}
    for name in ("type", "module", "builtin", "message", "traceback"):
        value = info.get(name, "")
        if not isinstance(value, str):
            raise _bad(f"an error whose {name} is a {type(value).__name__}")
        fields[name] = value
    return ErrorInfo(**fields)
