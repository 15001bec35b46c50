"""How a harp call ended, parsed once from the wire for both the dispatcher and harpd.

A terminal message is one of ``result``, ``exception``, ``error`` or
``cancelled`` (protocol §1.3, §2.3). :func:`parse_terminal` turns it into an
:class:`Outcome`, or raises :class:`~jobharness.errors.ProtocolError` when it is
malformed. The seed client's sentinels :data:`CALL_NOT_FINISHED` and
:data:`CALL_CANCELLED` and the stream end marker :class:`Result` live here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from jobharness.backends.harp.errors import (
    CancelledException,
    RemoteException,
    RemoteFailure,
    remote_error,
)
from jobharness.errors import JobError, ProtocolError
from jobharness.jobs import JobState
from jobharness.redaction import snippet

if TYPE_CHECKING:
    from jobharness.jobs import Job


class _Sentinel:
    """A named marker value (``CALL_NOT_FINISHED``, ``CALL_CANCELLED``)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return f"<{self._name}>"


CALL_NOT_FINISHED: Any = _Sentinel("CallNotFinished")
"""Returned instead of a result while the call is still queued or running."""

CALL_CANCELLED: Any = _Sentinel("CallCancelled")
"""Returned as the result of a cancelled call."""


@dataclass(frozen=True)
class Result:
    """The end value of a streaming harpd procedure: the last item its iterator yields."""

    value: Any


Kind = Literal["result", "exception", "error", "cancelled"]

STATES: dict[str, JobState] = {
    "queued": JobState.PENDING,
    "running": JobState.RUNNING,
    "result": JobState.SUCCEEDED,
    "exception": JobState.FAILED,
    "error": JobState.ERROR,
    "cancelled": JobState.CANCELLED,
}
"""Native harp job states (``queued``, ``running`` and the terminal kinds) -> JobState."""


@dataclass(frozen=True)
class Outcome:
    """A terminal message: its kind, the result value or the failure's type/message/data."""

    kind: Kind
    value: Any = None
    type: str = ""
    message: str = ""
    data: Any = None

    @property
    def state(self) -> JobState:
        """The job state this outcome means."""
        return STATES[self.kind]

    @property
    def is_missing_result(self) -> bool:
        """True for the dispatcher's ``missing_result`` error (maybe spurious, see §1.4)."""
        return self.kind == "error" and self.type == "missing_result"

    def failure(self, context: str = "", job: Job | None = None) -> JobError | None:
        """The exception this outcome stands for, or ``None`` for a normal result."""
        if self.kind == "exception":
            return RemoteException(self.type, self.message, self.data, context=context, job=job)
        if self.kind == "error":
            return remote_error(self.type, self.message, self.data, context=context, job=job)
        if self.kind == "cancelled":
            return CancelledException(f"{context}: the call was cancelled", job)
        return None

    def seed_value(self, context: str = "", job: Job | None = None) -> Any:
        """The seed ``result()`` value: the result, ``CALL_CANCELLED`` or the exception instance."""
        if self.kind == "result":
            return self.value
        if self.kind == "cancelled":
            return CALL_CANCELLED
        return self.failure(context, job)

    def error_text(self) -> str | None:
        """``type: message`` for failures, ``None`` otherwise."""
        if self.kind in ("exception", "error"):
            return f"{self.type}: {self.message}" if self.message else self.type
        return None

    def raise_for_failure(self, context: str = "", job: Job | None = None) -> Any:
        """Return the result value, or raise the exception this outcome stands for."""
        failure = self.failure(context, job)
        if failure is not None:
            raise failure
        return self.value


def _failure_fields(body: Any, key: str, source: str) -> tuple[str, str, Any]:
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        raise ProtocolError(
            f"{source} sent a malformed {key!r} object: {snippet(repr(body))}",
            snippet=snippet(repr(body)),
        )
    message = body.get("message", "")
    return body["type"], message if isinstance(message, str) else repr(message), body.get("data")


def parse_terminal(message: dict[str, Any], source: str) -> Outcome | None:
    """The outcome in ``message``, or ``None`` if it is not a terminal message."""
    if "result" in message:
        return Outcome("result", value=message["result"])
    if "exception" in message:
        type_, text, data = _failure_fields(message["exception"], "exception", source)
        return Outcome("exception", type=type_, message=text, data=data)
    if "error" in message:
        type_, text, data = _failure_fields(message["error"], "error", source)
        return Outcome("error", type=type_, message=text, data=data)
    if message.get("cancelled") is True:
        return Outcome("cancelled")
    return None


def require_terminal(message: dict[str, Any], source: str, expected: str) -> Outcome:
    """Like :func:`parse_terminal`, but anything else is a :class:`ProtocolError`."""
    outcome = parse_terminal(message, source)
    if outcome is None:
        shown = snippet(repr(message))
        raise ProtocolError(f"{source} sent {shown} where {expected} was expected", snippet=shown)
    return outcome


__all__ = [
    "CALL_CANCELLED",
    "CALL_NOT_FINISHED",
    "Outcome",
    "RemoteFailure",
    "Result",
    "parse_terminal",
    "require_terminal",
]
