"""Faults of the real sandbox the embedded one reproduces on demand (``--fault``), for client tests.

* ``container-removed-every=N``: every N-th execution finds its container
  gone, as on the real server when Docker removed a pooled container under
  it: its first command never starts and gets exit code -1 with
  ``An unknown error occurred on the sandbox``, and the run stops (status -1).
"""

from __future__ import annotations

import argparse
import itertools
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

CONTAINER_REMOVED_EVERY = "container-removed-every"
FAULT_NAMES = (f"{CONTAINER_REMOVED_EVERY}=N",)


@dataclass(frozen=True)
class Faults:
    """The faults a server injects; none by default."""

    container_removed_every: int | None = None


def fault_option(text: str) -> str:
    """An argparse type: ``text`` if it names a fault, else a usage error."""
    name, _, value = text.partition("=")
    if name == CONTAINER_REMOVED_EVERY and value.isdigit() and int(value) > 0:
        return text
    raise argparse.ArgumentTypeError(
        f"{text!r} is not one of {', '.join(FAULT_NAMES)} (N a whole number above 0)"
    )


def parse_faults(options: Iterable[str]) -> Faults:
    """The faults named by ``--fault`` values (already checked by :func:`fault_option`)."""
    every = None
    for option in options:
        name, _, value = fault_option(option).partition("=")
        if name == CONTAINER_REMOVED_EVERY:
            every = int(value)
    return Faults(container_removed_every=every)


@dataclass
class ContainerLoss:
    """Counts executions and says which one loses its container."""

    every: int | None
    _count: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def next_is_lost(self) -> bool:
        """Count one execution; True when it is the one whose container is gone."""
        if self.every is None:
            return False
        with self._lock:
            return next(self._count) % self.every == 0
