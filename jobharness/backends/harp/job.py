"""A call submitted to the harp dispatcher: a Job with results and streams.

:class:`RemoteCall` keeps the seed client's surface (``get``, ``result``,
``stream``, ``follow``, ``cancel``, ``host()``, ``submit_time()`` ...) and is a
job of the shared model (``refresh``, ``wait``, ``state``, ``result``):

* native states ``queued``, ``running``, ``result``, ``exception``, ``error``,
  ``cancelled`` map to pending, running, succeeded, failed, error, cancelled;
* a ``missing_result`` error is re-read with ``wait: false`` (retried while
  ``no_result``, within the deadline) before it is believed (protocol §1.4);
* :meth:`RemoteCall.stream` and :meth:`RemoteCall.follow` give every packet
  once, in order: cut connections are resumed and packets a follow skipped
  are read from the stored stream, within the deadline (see
  :mod:`jobharness.backends.harp.streams`).
"""

from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from jobharness.backends.harp.outcome import (
    CALL_NOT_FINISHED,
    STATES,
    Outcome,
    require_terminal,
)
from jobharness.backends.harp.protocol import job_request, stream_position
from jobharness.backends.harp.streams import StreamIterator, StreamReader
from jobharness.deadline import Deadline, bounded
from jobharness.errors import (
    ConnectionLost,
    JobHarnessError,
    ProtocolError,
    RequestTimedOut,
    TransportError,
    WaitTimeout,
)
from jobharness.jobs import Job, JobResult, JobState, PollPolicy
from jobharness.redaction import snippet
from jobharness.transport.jsonlines import LineConnection

if TYPE_CHECKING:
    from jobharness.backends.harp.client import HarpCaller

log = logging.getLogger("jobharness.harp")

LOST_JOB_HINT = (
    "the job ended without a stored result: the dispatcher was restarted while it ran, "
    "or its result could not be stored (a float like 1e-07 or a character outside the "
    "Basic Multilingual Plane in a harpd result kills the job)"
)


class JobId(str):
    """A job id; calling it returns itself, like the seed client's ``id()`` method."""

    def __call__(self) -> str:
        return str(self)


@dataclass(frozen=True)
class CallStatus:
    """What ``get_status`` says: the call, its ``info`` and its Unix times (``None`` = not yet)."""

    host: str
    procedure: str
    arguments: Any
    info: Any
    submit: int | None
    start: int | None
    end: int | None

    @classmethod
    def from_reply(cls, reply: dict[str, Any], source: str) -> CallStatus:
        """Parse a ``get_status`` reply or raise :class:`ProtocolError`."""
        call, times = reply.get("call"), reply.get("time")
        if not isinstance(call, dict) or not isinstance(times, dict):
            shown = snippet(repr(reply))
            raise ProtocolError(f"{source} sent a malformed status: {shown}", snippet=shown)
        return cls(
            host=str(call.get("host", "")),
            procedure=str(call.get("procedure", "")),
            arguments=call.get("arguments"),
            info=reply.get("info"),
            submit=times.get("submit"),
            start=times.get("start"),
            end=times.get("end"),
        )


@dataclass(frozen=True)
class HarpJobResult(JobResult):
    """A :class:`~jobharness.jobs.JobResult` that can also be called like the seed's ``result()``.

    ``call.result`` is the shared result object; ``call.result(wait=False)``
    returns the value, :data:`CALL_NOT_FINISHED`, :data:`CALL_CANCELLED` or the
    :class:`RemoteException`/:class:`RemoteError` instance.
    """

    call: RemoteCall | None = field(default=None, repr=False, compare=False)

    def __call__(self, wait: bool = False, timeout: float | None = None) -> Any:
        if self.call is None:  # pragma: no cover - always set by RemoteCall
            raise TypeError("this result is not bound to a call")
        return self.call.seed_result(wait, timeout)


class RemoteCall(Job):
    """A call job on the harp dispatcher: status, result, stream, cancel."""

    backend = "harp"

    def __init__(
        self,
        caller: HarpCaller,
        job_id: str,
        *,
        name: str = "",
        default_timeout: float | None = None,
        poll: PollPolicy | None = None,
    ) -> None:
        super().__init__(
            JobId(job_id),
            name=name,
            state=JobState.PENDING,
            native_state="queued",
            default_timeout=caller.wait_timeout if default_timeout is None else default_timeout,
            poll=poll or caller.poll,
        )
        self.caller = caller
        self._status: CallStatus | None = None
        self._outcome: Outcome | None = None

    @property
    def context(self) -> str:
        """How messages name this call: ``harp job <id> (local.add)``."""
        return f"harp job {self.id}" + (f" ({self.name})" if self.name else "")

    @property
    def source(self) -> str:
        """How messages name the dispatcher."""
        return self.caller.transport.source

    # -- requests ------------------------------------------------------------------------

    def _request(self, operation: str, **fields: Any) -> dict[str, Any]:
        """One request about this job, sent again if its connection is refused or cut."""
        return self.caller.transport.exchange(
            job_request(operation, self.id, **fields),
            what=f"{operation} of job {self.id}",
            idempotent=True,
        )

    def _open(self, operation: str, deadline: Deadline, **fields: Any) -> LineConnection:
        return self.caller.transport.open(
            job_request(operation, self.id, **fields),
            what=f"{operation} of job {self.id}",
            deadline=deadline,
        )

    def _retry_pause(self, failures: int, error: TransportError, deadline: Deadline) -> float:
        """The pause before connecting again, or raise ``error`` when the policy gives up."""
        pause = self.caller.retry.after_error(failures, error, True, deadline)
        if pause is None:
            raise error
        return pause

    # -- metadata ------------------------------------------------------------------------

    def status(self, refresh: bool = False) -> CallStatus:
        """The job's status (one ``get_status``, cached; ``refresh`` asks again)."""
        if self._status is None or refresh:
            reply = self._request("get_status")
            if "error" in reply:
                outcome = require_terminal(reply, self.source, "a status")
                raise outcome.failure(f"{self.context}: get_status", self) or ProtocolError(
                    f"{self.source} sent {snippet(repr(reply))} for get_status"
                )
            self._status = CallStatus.from_reply(reply, self.source)
        return self._status

    def host(self) -> str:
        """The host name the call was submitted for (as in the dispatcher's registry)."""
        return self.status().host

    def procedure(self) -> str:
        """The procedure name."""
        return self.status().procedure

    def args(self) -> Any:
        """The call's arguments: a list (positional) or a dict (keyword)."""
        return self.status().arguments

    def info(self) -> Any:
        """The opaque ``info`` value stored with the job."""
        return self.status().info

    def submit_time(self) -> int | None:
        """When the job was submitted (Unix time, whole seconds)."""
        return self.status().submit

    def start_time(self) -> int | None:
        """When the job started; ``None`` while queued (or if it never started)."""
        return self.status().start

    def end_time(self) -> int | None:
        """When the job ended; ``None`` while it runs (and forever for a lost job)."""
        return self.status().end

    # -- results -------------------------------------------------------------------------

    @property
    def outcome(self) -> Outcome | None:
        """How the call ended, once known."""
        return self._outcome

    def _remember(self, outcome: Outcome) -> None:
        self._outcome = outcome
        self._set_state(outcome.state, outcome.kind)

    def _terminal(self, reply: dict[str, Any], expected: str) -> Outcome | None:
        """``None`` for ``no_result``, else the outcome in ``reply``."""
        if reply.get("no_result") is True:
            return None
        return require_terminal(reply, self.source, expected)

    def _settle_missing(self, deadline: Deadline) -> Outcome | None:
        """After a ``missing_result``, re-read with ``wait: false`` while ``no_result``.

        A second ``missing_result`` is genuine (the job was lost); ``None``
        means the job still reports no result at the deadline.
        """
        intervals = self.poll.intervals()
        while True:
            outcome = self._terminal(self._request("get_result", wait=False), "a result")
            if outcome is not None:
                if outcome.is_missing_result:
                    log.info("%s: missing_result confirmed, the job was lost", self.context)
                    return replace(outcome, message=f"{outcome.message} ({LOST_JOB_HINT})")
                return outcome
            if deadline.expired:
                return None
            deadline.sleep(next(intervals), self.poll.slice)

    def _checked(self, outcome: Outcome | None, deadline: Deadline) -> Outcome | None:
        if outcome is not None and outcome.is_missing_result:
            log.debug("%s: missing_result, re-reading with wait:false", self.context)
            return self._settle_missing(deadline)
        return outcome

    def _read_now(self) -> Outcome | None:
        """The outcome if the job has ended (one ``get_result`` with ``wait: false``)."""
        reply = self._request("get_result", wait=False)
        outcome = self._terminal(reply, "a result or no_result")
        return self._checked(outcome, self.caller.transport.deadline())

    def _wait_timeout(self, deadline: Deadline) -> WaitTimeout:
        with contextlib.suppress(JobHarnessError):
            self.refresh()  # so the message shows the state the job is really in
        return WaitTimeout(
            f"waited {deadline.timeout:g} s for the result of {self.summary()}", [self]
        )

    def _wait_outcome(self, timeout: float) -> Outcome:
        """Wait for the outcome with ``get_result`` ``wait: true`` until ``timeout`` seconds pass.

        A connection refused or cut before the reply is retried (the request is
        idempotent) as the caller's retry policy says, within the deadline.
        """
        deadline = Deadline(timeout, "wait")
        failures = 0
        with bounded(deadline):
            while True:
                try:
                    with self._open("get_result", deadline, wait=True) as connection:
                        reply = connection.read_message(deadline)
                    if reply is None:
                        raise ConnectionLost(
                            f"{self.context}: {self.source} closed the connection before the result"
                        )
                except RequestTimedOut:
                    raise self._wait_timeout(deadline) from None
                except TransportError as exc:
                    failures += 1
                    if deadline.expired:
                        raise self._wait_timeout(deadline) from exc
                    deadline.sleep(self._retry_pause(failures, exc, deadline))
                    continue
                failures = 0
                outcome = self._checked(self._terminal(reply, "a result"), deadline)
                if outcome is not None:
                    return outcome
                if deadline.expired:
                    raise self._wait_timeout(deadline)

    def fetch_outcome(self, wait: bool = False, timeout: float | None = None) -> Outcome | None:
        """The outcome (cached once known); with ``wait``, block until it is or time out."""
        if self._outcome is None:
            if wait:
                outcome: Outcome | None = self._wait_outcome(
                    self.default_timeout if timeout is None else timeout
                )
            else:
                outcome = self._read_now()
            if outcome is not None:
                self._remember(outcome)
        return self._outcome

    def seed_result(self, wait: bool = False, timeout: float | None = None) -> Any:
        """The seed ``result()``: value, :data:`CALL_NOT_FINISHED`, :data:`CALL_CANCELLED`
        or the exception instance (returned, not raised)."""
        outcome = self.fetch_outcome(wait, timeout)
        if outcome is None:
            return CALL_NOT_FINISHED
        return outcome.seed_value(self.context, self)

    def get(self, wait: bool = True, timeout: float | None = None) -> Any:
        """The call's value; raises :class:`RemoteException`, :class:`RemoteError` or
        :class:`CancelledException`; :data:`CALL_NOT_FINISHED` if not waiting and unfinished.

        ``timeout`` (default: the job's default timeout) bounds the wait.
        """
        outcome = self.fetch_outcome(wait, timeout)
        if outcome is None:
            return CALL_NOT_FINISHED
        return outcome.raise_for_failure(self.context, self)

    # -- streams -------------------------------------------------------------------------

    def stream(
        self,
        since: int | None = None,
        recent: int | None = None,
        numbered: bool = False,
        timeout: float | None = None,
    ) -> StreamIterator:
        """The packets stored so far (``read_stream``; default: from packet 0), without waiting.

        Pages ending in ``continue`` are followed while they bring packets. If the
        job has ended, its outcome is remembered. ``timeout`` (default: the
        request timeout) bounds the whole read.
        """
        position = stream_position(since, recent)
        reader = StreamReader(self, self.caller.transport.deadline(timeout))
        return StreamIterator(reader.read(position), numbered)

    def follow(
        self,
        since: int | None = None,
        recent: int | None = None,
        numbered: bool = False,
        timeout: float | None = None,
    ) -> StreamIterator:
        """The packets as they come (``follow_stream``; default: only new ones) until the end.

        A cut connection is resumed from the packet after the last one seen,
        and packets the dispatcher skipped are read from the stored stream, so
        nothing is lost or repeated (see :mod:`jobharness.backends.harp.streams`).
        ``timeout`` (default: the job's default timeout) bounds the whole follow;
        passing it raises :class:`~jobharness.errors.WaitTimeout`.
        """
        position = stream_position(since, recent)
        limit = self.default_timeout if timeout is None else timeout
        reader = StreamReader(self, Deadline(limit, "follow"))
        return StreamIterator(reader.follow(position), numbered)

    def _check_known(self, deadline: Deadline) -> None:
        """A stream connection closed without any line: raise if the job id is unknown."""
        with bounded(deadline):
            self.status(refresh=True)

    def output(self) -> str | None:
        """The stream packets stored so far, one JSON value per line; ``None`` if there are none."""
        lines = [json.dumps(data, ensure_ascii=False) for data in self.stream()]
        return "\n".join(lines) if lines else None

    # -- the Job interface ---------------------------------------------------------------

    blocks_on_server = True

    def _block_until_done(self, deadline: Deadline) -> None:
        """Wait with ``get_result`` ``wait: true`` (no polling) until the deadline."""
        with contextlib.suppress(WaitTimeout):
            self.fetch_outcome(wait=True, timeout=deadline.remaining())

    def _fetch_state(self) -> tuple[JobState, str]:
        outcome = self.fetch_outcome(wait=False)
        if outcome is not None:
            return outcome.state, outcome.kind
        status = self._status
        if status is None or status.start is None:
            status = self.status(refresh=True)
        native = "running" if status.start is not None else "queued"
        return STATES[native], native

    def _cancel(self) -> bool:
        reply = self._request("cancel")
        accepted = reply.get("cancelled")
        if not isinstance(accepted, bool):
            shown = snippet(repr(reply))
            raise ProtocolError(
                f"{self.source} answered cancel of job {self.id} with {shown}", snippet=shown
            )
        if accepted:
            self._remember(Outcome("cancelled"))
        else:
            self.refresh()
        return accepted

    def _build_result(self) -> HarpJobResult:
        outcome = self._outcome
        details: dict[str, Any] = {}
        if self._status is not None:
            details.update(host=self._status.host, procedure=self._status.procedure)
        if outcome is not None and outcome.kind in ("exception", "error"):
            details.update(type=outcome.type, message=outcome.message, data=outcome.data)
        return HarpJobResult(
            job_id=str(self.id),
            backend=self.backend,
            state=self.state,
            native_state=self.native_state,
            value=outcome.value if outcome is not None and outcome.kind == "result" else None,
            error=outcome.error_text() if outcome is not None else None,
            details=details,
            call=self,
            job=self,
        )

    @property
    def result(self) -> HarpJobResult:
        """The job's result as known now; call it (``result(wait=...)``) for the seed's result."""
        return self._build_result()
