"""What a proxy points at: a handle or a name, an attribute path, and what is known of it.

A :class:`Handle` is one reference to an object in the agent's table; it is
released (in a batch, with the next request or by the link's monitor) when
the last local holder is collected: ``weakref.finalize``, never ``__del__``,
and the finalizer only appends to a queue, so it is safe wherever the
collector runs it. A :class:`Target` adds the attribute path and the epoch
of the connection it belongs to. A :class:`Spec` says which attributes are
callable (``dir()`` split in two), so a method call is one round trip.
"""

from __future__ import annotations

import weakref
from collections import deque
from dataclasses import dataclass
from typing import Any

from jobharness.backends.terminal.wire import RemoteName, RemoteRef


@dataclass(frozen=True)
class Spec:
    """What is known of a remote object's attributes: which are callable, which are not."""

    callables: frozenset[str]
    others: frozenset[str]

    @classmethod
    def from_wire(cls, data: Any) -> Spec | None:
        """A spec sent by the agent; ``None`` when it is not lists of names."""
        if not isinstance(data, dict):
            return None
        parts = [data.get("callables"), data.get("others")]
        if not all(isinstance(p, list) and all(isinstance(n, str) for n in p) for p in parts):
            return None
        return cls(frozenset(parts[0]), frozenset(parts[1]))  # type: ignore[arg-type]

    @classmethod
    def from_local(cls, local: Any) -> Spec:
        """The spec of a local class or object (crl's ``local_spec``)."""
        callables: set[str] = set()
        others: set[str] = set()
        for name in dir(local):
            (callables if callable(getattr(local, name, None)) else others).add(name)
        return cls(frozenset(callables), frozenset(others))

    def callable(self, name: str) -> bool | None:
        """True or False when the spec knows ``name``, ``None`` when it does not."""
        if name in self.callables:
            return True
        return False if name in self.others else None


class Handle:
    """One reference to an object in the agent's table, released when collected."""

    __slots__ = ("__weakref__", "epoch", "hid", "type_name")

    def __init__(self, hid: int, epoch: int, type_name: str, releases: deque[int]) -> None:
        self.hid = hid
        self.epoch = epoch
        self.type_name = type_name
        weakref.finalize(self, releases.append, hid)


@dataclass(frozen=True)
class Target:
    """Where a proxy points: a handle or a name, an attribute path, the connection's epoch.

    ``epoch`` is ``None`` for targets that follow the current connection.
    """

    handle: Handle | None = None
    name: str | None = None
    path: tuple[str, ...] = ()
    epoch: int | None = None

    def child(self, name: str) -> Target:
        """The target of attribute ``name``."""
        return Target(self.handle, self.name, (*self.path, name), self.epoch)

    def wire(self) -> RemoteRef | RemoteName:
        """How a request names it."""
        if self.handle is not None:
            return RemoteRef(self.handle.hid, self.path)
        return RemoteName(self.name or "", self.path)

    def expression(self) -> str:
        """A Python expression for it in the agent's namespace (crl's handle)."""
        path = "".join(f".{part}" for part in self.path)
        if self.handle is not None:
            return f"_jh_objects[{self.handle.hid}]{path}"
        return f"{self.name}{path}"

    def describe(self) -> str:
        """``os.path`` or ``<builtins.dict #12>.get``, for messages."""
        path = "".join(f".{part}" for part in self.path)
        if self.handle is not None:
            return f"<{self.handle.type_name} #{self.handle.hid}>{path}"
        return f"{self.name}{path}"
