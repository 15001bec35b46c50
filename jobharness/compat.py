"""Old spellings that keep working, with a warning that says what to write instead."""

from __future__ import annotations

import warnings
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class _Unset:
    """The default of a deprecated parameter: tells "not given" from any given value."""

    _instance: _Unset | None = None

    def __new__(cls) -> _Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<unset>"

    def __bool__(self) -> bool:
        return False


UNSET: Any = _Unset()
"""Marks a deprecated parameter that was not given (typed ``Any`` to fit any annotation)."""


def renamed(owner: str, old: str, new: str, old_value: Any, new_value: T, stacklevel: int = 3) -> T:
    """``new_value``, or ``old_value`` with a DeprecationWarning when only the old name was used.

    ``owner`` names the function or class (``Sandbox``), ``old`` and ``new``
    the parameter's old and new names.
    """
    if old_value is UNSET:
        return new_value
    warnings.warn(
        f"{owner}: the parameter {old!r} is deprecated; write {new}= instead",
        DeprecationWarning,
        stacklevel=stacklevel,
    )
    value: T = old_value
    return value


class _Transport(Protocol):
    request_timeout: float


class _Client(Protocol):
    @property
    def transport(self) -> _Transport: ...


class RequestTimeoutAttributes:
    """``request_timeout`` of a client that keeps a ``transport``; ``timeout`` is its old name."""

    @property
    def request_timeout(self: _Client) -> float:
        """Seconds one request may take (connecting and the whole answer, retries included)."""
        return self.transport.request_timeout

    @property
    def timeout(self: _Client) -> float:
        """The older name of :attr:`request_timeout`."""
        return self.transport.request_timeout
