"""A remote call as a job of the engine: started now, waited for, cancelled, its result read.

:class:`RemoteCall` is what an asynchronous call returns
(:meth:`~jobharness.backends.terminal.runner.RunnerTerminal.start_python`,
``start_call``, a proxy method's ``start``), and what a crl-style
:class:`~jobharness.backends.terminal.runner_errors.RemoteTimeout` carries
as ``call``. Its states: ``running`` until the reply comes, then
``succeeded`` (a value), ``failed`` (the remote code raised) or ``error``
(the connection broke first); ``cancelled`` after :meth:`cancel`. A Python
thread cannot be stopped: a cancel drops the reply (and the references it
holds), the remote code runs to its end, or until the agent is closed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

from jobharness.backends.terminal import agent, wire
from jobharness.backends.terminal.agentlink import AgentLink, Pending
from jobharness.backends.terminal.runner_errors import (
    RemoteError,
    RemoteTimeout,
    RunnerTerminalSessionBroken,
    UnableToDeserialize,
    remote_error,
)
from jobharness.deadline import Deadline
from jobharness.jobs import Job, JobResult, JobState

if TYPE_CHECKING:
    from jobharness.backends.terminal.proxies import ProxyFactory

_UNSET: Any = object()


def decode(link: AgentLink, pending: Pending, make_ref: ProxyFactory, what: str) -> Any:
    """The value of a reply that came; the remote error, or the link's end, is raised.

    A reply that is not valid data breaks the link: that stream is not trusted again.
    """
    kind, payload = link.take(pending)
    try:
        if kind == agent.ERROR:
            info = wire.unpack_error(payload)
            info = replace(
                info, message=link.redact(info.message), traceback=link.redact(info.traceback)
            )
            raise remote_error(info, what, link.stream.describe())
        return wire.unpack(payload, make_ref)
    except UnableToDeserialize as exc:
        link.fail(f"protocol error: {exc}")
        raise


class RemoteCall(Job):
    """One request to the agent, followed like any other job."""

    backend: ClassVar[str] = "terminal"
    blocks_on_server: ClassVar[bool] = True

    def __init__(
        self,
        link: AgentLink,
        pending: Pending,
        make_ref: ProxyFactory,
        what: str,
        default_timeout: float,
    ) -> None:
        super().__init__(
            f"{link.epoch}.{pending.rid}",
            name=what,
            state=JobState.RUNNING,
            native_state="running",
            default_timeout=default_timeout,
        )
        self.link = link
        self.pending = pending
        self.make_ref = make_ref
        self.what = what
        self._value: Any = _UNSET
        self._error: Exception | None = None

    # -- the job ------------------------------------------------------------------------

    def _fetch_state(self) -> tuple[JobState, str]:
        if self._state is JobState.CANCELLED:
            return self._state, "cancelled"
        if not self.pending.done:
            return JobState.RUNNING, "running"
        self._decode()
        if self._error is None:
            return JobState.SUCCEEDED, "returned"
        if isinstance(self._error, RemoteError):
            return JobState.FAILED, "raised"
        return JobState.ERROR, "connection lost"

    def _block_until_done(self, deadline: Deadline) -> None:
        self.link.wait(self.pending, deadline)
        self.refresh()

    def _cancel(self) -> bool:
        self.link.forget(self.pending)
        self._set_state(JobState.CANCELLED, "cancelled")
        return True

    def _build_result(self) -> JobResult:
        if self.done and self._state is not JobState.CANCELLED:
            self._decode()
        value = None if self._value is _UNSET else self._value
        error = str(self._error) if self._error is not None else None
        details = (
            {"remote_traceback": self._error.remote_traceback}
            if isinstance(self._error, RemoteError)
            else {}
        )
        return JobResult(
            self.id, self.backend, self._state, self._native_state, value, error, None, details
        )

    # -- the value ----------------------------------------------------------------------

    def _decode(self) -> None:
        """Turn the reply into the value or the error, once."""
        if self._value is not _UNSET or self._error is not None:
            return
        try:
            self._value = decode(self.link, self.pending, self.make_ref, self.what)
        except (RemoteError, RunnerTerminalSessionBroken, UnableToDeserialize) as exc:
            self._error = exc

    def value(self, timeout: float | None = None) -> Any:
        """Wait up to ``timeout`` seconds (default: the job's) and return the value.

        Raises the remote error, :class:`RunnerTerminalSessionBroken`, or
        :class:`RemoteTimeout` when the reply has not come in time.
        """
        if self._state is JobState.CANCELLED:
            raise RemoteTimeout(self.id, self, f"{self.what} (cancelled)")
        deadline = Deadline(self.default_timeout if timeout is None else timeout, "wait")
        if not self.link.wait(self.pending, deadline):
            self.link.keep_late(self.pending)
            raise RemoteTimeout(self.id, self, self.what)
        self.refresh()
        if self._error is not None:
            raise self._error
        return self._value

    def timeout_handle(self, wrap: Callable[[Any], Any] | None = None) -> RemoteTimeout:
        """This call as crl's RemoteTimeout handle (for ``get_remote_proxy_response``)."""
        handle = RemoteTimeout(self.id, self, self.what)
        if wrap is not None:
            handle.add_response_wrap(wrap)
        return handle
