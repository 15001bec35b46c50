"""The procedures an embedded harpd exposes when no ``--procedures`` file is given."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from jobharness.servers.harpd.proc import Result, procedure, streaming_procedure


@procedure
def ping() -> str:
    """Answer ``"pong"``."""
    return "pong"


@procedure
def add(a: Any, b: Any) -> dict[str, Any]:
    """Return the sum and the difference of ``a`` and ``b``."""
    return {"sum": a + b, "difference": a - b}


@procedure
def echo(*args: Any, **kwargs: Any) -> Any:
    """Return the single argument given, or all of them (``{"args": [...], "kwargs": {...}}``)."""
    if len(args) == 1 and not kwargs:
        return args[0]
    return {"args": list(args), "kwargs": kwargs}


@procedure
def sleep(seconds: float) -> float:
    """Sleep ``seconds`` and return them."""
    time.sleep(seconds)
    return seconds


@procedure(timeout=1)
def slow(seconds: float) -> float:
    """Like :func:`sleep`, but with a 1 s procedure timeout."""
    time.sleep(seconds)
    return seconds


@procedure
def fail(message: str = "failed", kind: str = "ValueError") -> None:
    """Raise a builtin exception of class ``kind`` with ``message``."""
    exception_class = {"ValueError": ValueError, "RuntimeError": RuntimeError}.get(kind)
    raise (exception_class or ValueError)(message)


@procedure
def unserializable() -> object:
    """Return a value JSON cannot encode (gives an ``invalid_message`` error)."""
    return object()


@streaming_procedure
def count(n: int, delay: float = 0.0) -> Iterator[Any]:
    """Yield ``{"i": 0}`` .. ``{"i": n-1}``, ``delay`` seconds apart; result ``{"count": n}``."""
    for i in range(n):
        if i and delay:
            time.sleep(delay)
        yield {"i": i}
    yield Result({"count": n})


@streaming_procedure
def fail_after(n: int, delay: float = 0.0) -> Iterator[int]:
    """Yield ``0`` .. ``n-1``, then raise ``RuntimeError("failed after N packets")``."""
    for i in range(n):
        if i and delay:
            time.sleep(delay)
        yield i
    raise RuntimeError(f"failed after {n} packets")


@streaming_procedure
def stream_unserializable(n: int = 1) -> Iterator[Any]:
    """Yield ``n`` numbers, then a value JSON cannot encode."""
    yield from range(n)
    yield object()


@streaming_procedure(timeout=1)
def slow_stream(n: int, delay: float) -> Iterator[int]:
    """Yield ``0`` .. ``n-1`` every ``delay`` seconds, with a 1 s procedure timeout."""
    for i in range(n):
        yield i
        time.sleep(delay)


@procedure
def big(n: int) -> str:
    """Return a string of ``n`` characters."""
    return "x" * n
