"""The job model all backends share: states, results, poll policies and :class:`Job`.

A backend maps its native states onto :class:`JobState` and keeps the
native state visible. A :class:`Job` knows how to fetch its own state
(:meth:`Job._fetch_state`), how to cancel itself and how to build its
:class:`JobResult`; waiting on jobs (:meth:`Job.wait`, ``wait_for``,
``as_completed``) is the engine's, in :mod:`jobharness.waiting`.
"""

from __future__ import annotations

import dataclasses
import math
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from jobharness.choices import Choice
from jobharness.deadline import Deadline, parse_timeout
from jobharness.errors import (
    CleanupRefused,
    ConfigurationError,
    JobCancelled,
    JobFailed,
)
from jobharness.failures import describe_ending

DEFAULT_TIMEOUT = 60.0


class JobState(Choice):
    """The backend-neutral state of a job."""

    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    ERROR = "error"

    @property
    def is_final(self) -> bool:
        """True for the states a job never leaves."""
        return self in FINAL_STATES


FINAL_STATES = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED, JobState.ERROR})


class OnTimeout(Choice):
    """What a wait does when its deadline passes.

    ``fail`` raises :class:`~jobharness.errors.WaitTimeout`; ``cancel`` (alias
    ``terminate``) cancels the unfinished jobs and then raises; ``continue``
    returns the jobs as they are.
    """

    FAIL = "fail"
    CANCEL = "cancel"
    CONTINUE = "continue"

    @classmethod
    def _label(cls) -> str:
        return "on_timeout"

    @classmethod
    def _aliases(cls) -> dict[str, str]:
        return {"terminate": "cancel"}


class WaitMode(Choice):
    """Wait for all jobs, or until any one of them is finished."""

    ALL = "all"
    ANY = "any"


@dataclass(frozen=True)
class StateChange:
    """One observed change of a job's state (``at`` is wall-clock time)."""

    at: float
    state: JobState
    native_state: str


@dataclass(frozen=True)
class JobResult:
    """What is known about a job: its state, native state, value, error text and output."""

    job_id: str
    backend: str
    state: JobState
    native_state: str
    value: Any = None
    error: str | None = None
    output: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    job: Job | None = field(default=None, repr=False, compare=False)
    """The job this result is of (set by :attr:`Job.result`), for failure texts."""

    @property
    def ok(self) -> bool:
        """True when the job succeeded."""
        return self.state is JobState.SUCCEEDED

    def raise_for_state(self) -> JobResult:
        """Return self if the job succeeded, else raise JobFailed or JobCancelled.

        The message names the job (backend, id, name), its state in both
        words, its exit code and error, and the tail of its output.
        """
        __tracebackhide__ = True
        if self.state is JobState.SUCCEEDED:
            return self
        text = describe_ending(self, self.job)
        if self.state is JobState.CANCELLED:
            raise JobCancelled(text, self.job)
        raise JobFailed(text, self.job)


@dataclass(frozen=True)
class PollPolicy:
    """Adaptive polling: the first interval, its growth factor, the cap and the sleep slice.

    The defaults see a finished job within ~50 ms early on and never poll
    faster than once a second after a few seconds.
    """

    initial: float = 0.05
    factor: float = 1.5
    maximum: float = 1.0
    slice: float = 0.05

    def __post_init__(self) -> None:
        values = (self.initial, self.factor, self.maximum, self.slice)
        if (
            not all(isinstance(v, (int, float)) and math.isfinite(v) for v in values)
            or self.initial <= 0
            or self.maximum <= 0
            or self.slice <= 0
            or self.factor < 1
        ):
            raise ConfigurationError(
                "poll intervals must be positive and the factor at least 1, "
                f"got initial={self.initial}, factor={self.factor}, maximum={self.maximum}, "
                f"slice={self.slice}"
            )

    @classmethod
    def fixed(cls, interval: float) -> PollPolicy:
        """A policy that polls at one steady interval."""
        return cls(initial=interval, factor=1.0, maximum=interval, slice=min(interval, 0.05))

    def intervals(self) -> Iterator[float]:
        """The sleeps between polls: initial, initial*factor, ... capped at maximum."""
        interval = self.initial
        while True:
            yield min(interval, self.maximum)
            interval *= self.factor


JobT = TypeVar("JobT", bound="Job")


class Job(ABC):
    """A remote job: refresh it, wait for it with a deadline, cancel it, read its result.

    Subclasses set :attr:`backend` and implement :meth:`_fetch_state`,
    :meth:`_cancel` and :meth:`_build_result`. A backend that can refresh many
    jobs with fewer requests overrides :meth:`refresh_many`.
    """

    backend: ClassVar[str] = "job"

    def __init__(
        self,
        job_id: str,
        *,
        name: str = "",
        state: JobState = JobState.PENDING,
        native_state: str = "",
        default_timeout: float = DEFAULT_TIMEOUT,
        poll: PollPolicy | None = None,
    ) -> None:
        self.id = job_id
        self.name = name
        self.default_timeout = parse_timeout(default_timeout, "default_timeout")
        self.poll = poll or PollPolicy()
        self._state = state
        self._native_state = native_state or state.value
        self.history: list[StateChange] = [StateChange(time.time(), state, self._native_state)]
        self.cancel_accepted = False
        """True once a :meth:`cancel` was accepted (the job may still be stopping)."""

    # -- state ---------------------------------------------------------------------------

    @property
    def state(self) -> JobState:
        """The last known state (call :meth:`refresh` to ask the server)."""
        return self._state

    @property
    def native_state(self) -> str:
        """The last known state in the backend's own words."""
        return self._native_state

    @property
    def done(self) -> bool:
        """True when the last known state is final."""
        return self._state.is_final

    def _set_state(self, state: JobState, native_state: str) -> None:
        """Record a state seen on the server; appends to :attr:`history` when it changed."""
        if state is not self._state or native_state != self._native_state:
            self.history.append(StateChange(time.time(), state, native_state))
        self._state, self._native_state = state, native_state

    @abstractmethod
    def _fetch_state(self) -> tuple[JobState, str]:
        """Ask the server once for this job's state; return it with the native state."""

    def refresh(self) -> JobState:
        """Ask the server for the current state and return it."""
        if not self.done:
            self._set_state(*self._fetch_state())
        return self._state

    @classmethod
    def refresh_many(cls: type[JobT], jobs: Sequence[JobT]) -> None:
        """Refresh several jobs of this class; the default asks once per job."""
        for job in jobs:
            job.refresh()

    #: True when :meth:`_block_until_done` waits on the server instead of polling.
    blocks_on_server: ClassVar[bool] = False

    def _block_until_done(self, deadline: Deadline) -> None:
        """Wait on the server (a long poll) until the job is final or ``deadline`` passes.

        Only called when :attr:`blocks_on_server` is true, for a wait on this one
        job; it must return (not raise) when the deadline passes, leaving the
        timeout policy to the engine.
        """
        raise NotImplementedError

    # -- control -------------------------------------------------------------------------

    @abstractmethod
    def _cancel(self) -> bool:
        """Ask the server to stop the job; return whether it accepted."""

    def cancel(self) -> bool:
        """Cancel the job if it is not finished; return whether a cancel was sent and accepted."""
        if self.done:
            return False
        accepted = self._cancel()
        self.cancel_accepted = self.cancel_accepted or accepted
        return accepted

    # -- cleanup (the Cleanable protocol of jobharness.cleanup) ---------------------------

    cleanup_action: ClassVar[str] = "cancel"

    def cleanup_summary(self) -> str:
        """The job's :meth:`summary`, for cleanup reports."""
        return self.summary()

    def clean_up(self) -> bool:
        """Cancel the job if it is still unfinished; return whether a cancel was done.

        Raises :class:`~jobharness.errors.CleanupRefused` when the server
        refused the cancel and the job still runs.
        """
        if self.done or self.refresh().is_final:
            return False
        if self.cancel():
            return True
        if self.refresh().is_final:
            return False
        raise CleanupRefused("the server did not accept the cancel")

    @abstractmethod
    def _build_result(self) -> JobResult:
        """Build the result from what is known now (value and error only once final)."""

    @property
    def result(self) -> JobResult:
        """The job's result as known now; wait first for a final one."""
        result = self._build_result()
        return result if result.job is not None else dataclasses.replace(result, job=self)

    def output(self) -> str | None:
        """The job's output, where the backend has one; ``None`` otherwise."""
        return None

    def exit_code(self) -> int | None:
        """The exit code of the job's process, where the backend reports one; else ``None``."""
        return None

    def failure_output(self) -> str | None:
        """What a failure text shows of the job's output (:meth:`output` unless overridden)."""
        return self.output()

    def raise_for_state(self) -> JobResult:
        """Return the result if the job succeeded, else raise JobFailed or JobCancelled."""
        __tracebackhide__ = True
        return self.result.raise_for_state()

    def wait(
        self,
        timeout: float | None = None,
        *,
        poll: PollPolicy | None = None,
        on_timeout: OnTimeout | str = OnTimeout.FAIL,
    ) -> JobResult:
        """Wait until the job is final or ``timeout`` seconds have passed; return its result."""
        __tracebackhide__ = True
        from jobharness.waiting import wait_for  # the engine builds on this module

        wait_for(
            [self],
            self.default_timeout if timeout is None else timeout,
            poll=poll or self.poll,
            on_timeout=on_timeout,
        )
        return self.result

    def summary(self) -> str:
        """One line: backend, id, name and state (with the native state when it differs)."""
        name = f" {self.name!r}" if self.name else ""
        native = f" ({self._native_state})" if self._native_state != self._state.value else ""
        return f"{self.backend} job {self.id}{name}: {self._state}{native}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id} {self._state.value}>"


_MOVED_TO_WAITING = frozenset(
    {
        "BLOCK_SLICE",
        "CANCEL_TIMEOUT",
        "MAX_CONSECUTIVE_ERRORS",
        "TIMEOUT_OUTPUT_BUDGET",
        "TIMEOUT_TAIL_LINES",
        "as_completed",
        "wait_for",
    }
)


def __getattr__(name: str) -> Any:
    """The wait engine's names, still importable from here; they live in :mod:`.waiting`."""
    if name in _MOVED_TO_WAITING:
        from jobharness import waiting

        return getattr(waiting, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
