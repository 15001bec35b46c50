"""Marking the functions a harpd exposes: ``procedure``, ``streaming_procedure``, ``Result``.

A procedures file is plain Python; every module-level name bound to a
:class:`Procedure` is exposed under that name::

    from jobharness.servers.harpd.proc import Result, procedure, streaming_procedure

    @procedure
    def add(a, b):
        return {"sum": a + b}

    @procedure(timeout=2)
    def slow(seconds):
        ...

    @streaming_procedure
    def count(n):
        for i in range(n):
            yield {"i": i}
        yield Result({"count": n})
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, overload


class Result:
    """Yielded by a streaming procedure: ends the stream and makes ``value`` the final result."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"Result({self.value!r})"


class Procedure:
    """A function exposed by harpd; its return value is the single ``result``.

    ``timeout`` (seconds) is the most the call may take; past it the caller
    gets a ``timeout`` error.
    """

    streaming = False

    def __init__(self, function: Callable[..., Any], timeout: float | None = None) -> None:
        if timeout is not None and timeout <= 0:
            raise ValueError(f"procedure timeout must be positive, got {timeout!r}")
        self.function = function
        self.timeout = timeout
        self.__doc__ = function.__doc__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.function(*args, **kwargs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({getattr(self.function, '__name__', self.function)!r})"


class StreamingProcedure(Procedure):
    """A generator function exposed by harpd; each yielded value is one ``stream`` line.

    Yielding :class:`Result` ends the stream with that result; finishing
    without it gives ``null``.
    """

    streaming = True


@overload
def procedure(function: Callable[..., Any], /) -> Procedure: ...
@overload
def procedure(*, timeout: float | None = None) -> Callable[[Callable[..., Any]], Procedure]: ...
def procedure(
    function: Callable[..., Any] | None = None, /, *, timeout: float | None = None
) -> Procedure | Callable[[Callable[..., Any]], Procedure]:
    """Expose a plain function: ``@procedure`` or ``@procedure(timeout=S)``."""
    if function is not None:
        return Procedure(function)
    return lambda f: Procedure(f, timeout=timeout)


@overload
def streaming_procedure(function: Callable[..., Any], /) -> StreamingProcedure: ...
@overload
def streaming_procedure(
    *, timeout: float | None = None
) -> Callable[[Callable[..., Any]], StreamingProcedure]: ...
def streaming_procedure(
    function: Callable[..., Any] | None = None, /, *, timeout: float | None = None
) -> StreamingProcedure | Callable[[Callable[..., Any]], StreamingProcedure]:
    """Expose a generator: ``@streaming_procedure`` or ``@streaming_procedure(timeout=S)``."""
    if function is not None:
        return StreamingProcedure(function)
    return lambda f: StreamingProcedure(f, timeout=timeout)
