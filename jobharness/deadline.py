"""Deadlines: how long something may still take, checked and carried down to the wire.

A :class:`Deadline` is a point in monotonic time. :func:`parse_timeout`
turns what a user wrote (seconds, a ``timedelta``, a numeric string) into
seconds and refuses what is not a usable duration, so a NaN or a negative
timeout never means "no deadline at all".

A wait makes its deadline *current* with :func:`bounded`; every request made
inside takes :func:`request_deadline`, the earlier of its own request timeout
and the current deadline, so no request, retry or read outlives the wait.
Nested scopes keep the earliest end. The current deadline is a context
variable: each thread (and each asyncio task) sees its own.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from jobharness.errors import ConfigurationError

SLEEP_SLICE = 0.05
"""The longest single sleep of :meth:`Deadline.sleep`, so signals can cut in."""
MAX_TIMEOUT = 366 * 24 * 3600.0
"""The longest duration a user may give (a year): more is a typo, and overflows OS timers."""


def parse_timeout(value: Any, what: str = "timeout") -> float:
    """Seconds from a number, a ``timedelta`` or a numeric string; a clear error otherwise.

    Refused: negative, NaN or infinite values, more than :data:`MAX_TIMEOUT`,
    booleans, and anything that is not a duration. ``what`` names the
    parameter in the message.
    """
    seconds: float
    if isinstance(value, bool):
        seconds = math.nan
    elif isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, (int, float)):
        try:
            seconds = float(value)
        except OverflowError:  # an int too large for a float
            seconds = math.inf
    elif isinstance(value, str):
        try:
            seconds = float(value.strip())
        except ValueError:
            seconds = math.nan
    else:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:
        raise ConfigurationError(
            f"{what} must be a finite duration of 0 seconds or more, got {_shown(value)}"
        )
    if seconds > MAX_TIMEOUT:
        raise ConfigurationError(
            f"{what} must be at most {MAX_TIMEOUT:g} seconds (a year), got {_shown(value)}"
        )
    return seconds


def _shown(value: Any) -> str:
    """``repr(value)``, shortened: a message never carries a huge argument whole."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class Deadline:
    """A point in monotonic time that an operation must not pass.

    ``timeout`` is the duration it was made from (for messages); ``what``
    says what it limits (``"wait"``, ``"request"``), also for messages.
    """

    __slots__ = ("_end", "timeout", "what")

    def __init__(self, timeout: Any, what: str = "timeout") -> None:
        self.timeout = parse_timeout(timeout, what)
        self.what = what
        self._end = time.monotonic() + self.timeout

    @classmethod
    def at(cls, end: float, timeout: float, what: str) -> Deadline:
        """A deadline ending at the monotonic time ``end`` (made from ``timeout`` seconds)."""
        deadline = cls(0.0, what)
        deadline._end, deadline.timeout = end, timeout
        return deadline

    @property
    def end(self) -> float:
        """The monotonic time at which the deadline passes."""
        return self._end

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self._end - time.monotonic())

    @property
    def expired(self) -> bool:
        """True once the deadline has passed."""
        return time.monotonic() >= self._end

    def cap(self, seconds: float) -> float:
        """``seconds``, or what is left of the deadline if that is less."""
        return min(seconds, self.remaining())

    def sleep(self, seconds: float, slice_: float = SLEEP_SLICE) -> None:
        """Sleep ``seconds`` or until the deadline, in slices of at most ``slice_``."""
        end = min(time.monotonic() + seconds, self._end)
        while (left := end - time.monotonic()) > 0:
            time.sleep(min(left, slice_))

    def __repr__(self) -> str:
        return f"<Deadline {self.what} {self.timeout:g} s, {self.remaining():.3f} s left>"


_current: ContextVar[Deadline | None] = ContextVar("jobharness_deadline", default=None)


def current() -> Deadline | None:
    """The deadline of the innermost :func:`bounded` scope of this thread or task, if any."""
    return _current.get()


@contextmanager
def bounded(deadline: Deadline) -> Iterator[Deadline]:
    """Make ``deadline`` current inside the block; an enclosing earlier one stays in force.

    Yields the deadline in force (the earlier of the two).
    """
    outer = _current.get()
    effective = outer if outer is not None and outer.end <= deadline.end else deadline
    token = _current.set(effective)
    try:
        yield effective
    finally:
        _current.reset(token)


def request_deadline(request_timeout: float) -> Deadline:
    """The deadline of one request: ``request_timeout`` from now, or the current one if earlier."""
    own = Deadline(request_timeout, "request")
    outer = _current.get()
    if outer is not None and outer.end < own.end:
        return outer
    return own


def describe_limit(deadline: Deadline) -> str:
    """How a message names a limit after "within": ``2 s``, or ``the wait's 1 s``."""
    if deadline.what == "request":
        return f"{deadline.timeout:g} s"
    return f"the {deadline.what}'s {deadline.timeout:g} s"
