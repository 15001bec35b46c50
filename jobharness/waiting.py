"""The wait engine: every wait on jobs of any backend, with its deadline, polling and messages.

* every wait has a deadline (:class:`~jobharness.deadline.Deadline`) and sleeps in
  short slices, so Robot's ``[Timeout]``, pytest-timeout and Ctrl-C can cut in;
* polling adapts (:class:`~jobharness.jobs.PollPolicy`): fast at first, then backing off;
* waits on many jobs refresh them per backend class through
  :meth:`~jobharness.jobs.Job.refresh_many`, which a backend overrides to share requests;
* a job that blocks on the server (:attr:`~jobharness.jobs.Job.blocks_on_server`) is
  waited on there, in slices while someone watches;
* what happens when the deadline passes is the caller's choice
  (:class:`~jobharness.jobs.OnTimeout`); the message names every unfinished job;
* the observers of :mod:`jobharness.progress` hear of every state change as it is seen.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from jobharness.deadline import Deadline, bounded
from jobharness.errors import ConfigurationError, JobHarnessError, TransportError, WaitTimeout
from jobharness.failures import describe_job
from jobharness.jobs import Job, OnTimeout, PollPolicy, WaitMode
from jobharness.progress import WaitStatus, WaitWatch, describe_awaited

MAX_CONSECUTIVE_ERRORS = 3
"""Poll rounds in a row that may fail (after the transport's own retries) before a wait gives up."""
CANCEL_TIMEOUT = 5.0
"""How long the cancels of ``on_timeout=cancel`` may take, after the wait's deadline."""
BLOCK_SLICE = 2.0
"""Longest server-side block of a watched wait, so its status line and state changes stay live."""
TIMEOUT_TAIL_LINES = 5
"""Lines of each unfinished job's output a timeout's message shows."""
TIMEOUT_OUTPUT_BUDGET = 0.2
"""Seconds a timeout's message may spend reading the unfinished jobs' output, all together:
a wait ends by its deadline, so a silent server must not hold its message."""


def _refresh_round(jobs: Iterable[Job]) -> None:
    """Refresh every unfinished job once, grouped by class so backends can share requests."""
    groups: dict[type[Job], list[Job]] = {}
    for job in jobs:
        if not job.done:
            groups.setdefault(type(job), []).append(job)
    for cls, group in groups.items():
        cls.refresh_many(group)


@dataclass
class _Progress:
    """What a wait knows: the jobs found final, and the last transport error it survived."""

    finished: list[Job]
    error: TransportError | None = None


def _poll_until(
    jobs: Sequence[Job],
    deadline: Deadline,
    poll: PollPolicy,
    enough: int,
    watch: WaitWatch,
    intervals: Iterator[float] | None = None,
) -> _Progress:
    """Poll until ``enough`` jobs are final or the deadline passes.

    Every request is bounded by the deadline (it is current in this block).
    A transport error that the transport gave up on is tolerated on the poll
    schedule; after :data:`MAX_CONSECUTIVE_ERRORS` in a row it is raised. One
    that ends at the deadline ends the wait like the deadline itself. After
    every round, ``watch`` reports the state changes it saw and the progress.
    """
    __tracebackhide__ = True
    intervals = intervals or poll.intervals()
    errors = 0
    last: TransportError | None = None
    while True:
        try:
            _refresh_round(jobs)
            errors = 0
        except TransportError as exc:
            last = exc
            errors += 1
            if deadline.expired:
                return _Progress([job for job in jobs if job.done], exc)
            if errors >= MAX_CONSECUTIVE_ERRORS:
                raise
        finally:
            watch.round()
        finished = [job for job in jobs if job.done]
        if len(finished) >= enough or deadline.expired:
            return _Progress(finished, last if errors else None)
        deadline.sleep(next(intervals), poll.slice)


def _block_until_done(job: Job, deadline: Deadline, watch: WaitWatch) -> _Progress:
    """Let ``job`` wait on its server; in slices of :data:`BLOCK_SLICE` when someone watches."""
    while not job.done and not deadline.expired:
        if watch.watched:
            job._block_until_done(Deadline(min(BLOCK_SLICE, deadline.remaining()), "wait"))
            if not job.done and not deadline.expired:
                with contextlib.suppress(TransportError):  # the next block meets it again
                    job.refresh()  # the native state (queued, running) for the watchers
        else:
            job._block_until_done(deadline)
        watch.round()
        if not job.done:  # the server answered early: do not spin
            deadline.sleep(job.poll.slice, job.poll.slice)
    return _Progress([job] if job.done else [])


def _timed_out(
    jobs: Sequence[Job],
    deadline: Deadline,
    on_timeout: OnTimeout,
    what: str,
    error: TransportError | None = None,
) -> None:
    __tracebackhide__ = True
    pending = [job for job in jobs if not job.done]
    if on_timeout is OnTimeout.CONTINUE or not pending:
        return
    cancelled = ""
    if on_timeout is OnTimeout.CANCEL:
        refused = []
        with bounded(Deadline(CANCEL_TIMEOUT, "cancel")):
            for job in pending:
                try:
                    job.cancel()
                except JobHarnessError as exc:
                    refused.append(f"{job.id}: {exc}")
        cancelled = " (cancel requested" + "".join(f"; not cancelled {r}" for r in refused) + ")"
    # a server that just failed a request is not asked again for output
    budget = Deadline(0.0 if error else TIMEOUT_OUTPUT_BUDGET, "reading the output")
    states = "\n".join(
        describe_job(job, lines=TIMEOUT_TAIL_LINES, output_timeout=budget.remaining())
        for job in pending
    )
    why = f"\nthe last request failed: {error}" if error is not None else ""
    raise WaitTimeout(
        f"waited {deadline.timeout:g} s for {what}; still unfinished{cancelled}: {states}{why}",
        pending,
    ) from None  # the text says what the last request met; its traceback is noise here


def _checked_jobs(jobs: Any) -> list[Job]:
    """``jobs`` as a list of :class:`Job`, or a ConfigurationError saying what was given."""
    if isinstance(jobs, Job):
        return [jobs]
    if isinstance(jobs, (str, bytes)) or not isinstance(jobs, Iterable):
        raise ConfigurationError(f"expected a sequence of jobs, got {type(jobs).__name__} {jobs!r}")
    found = list(jobs)
    for index, job in enumerate(found):
        if not isinstance(job, Job):
            raise ConfigurationError(
                f"jobs[{index}] is a {type(job).__name__} ({job!r}), not a job handle"
            )
    return found


def wait_for(
    jobs: Sequence[Job],
    timeout: float,
    *,
    mode: WaitMode | str = WaitMode.ALL,
    poll: PollPolicy | None = None,
    on_timeout: OnTimeout | str = OnTimeout.FAIL,
) -> list[Job]:
    """Wait until all (or any) of ``jobs`` are final; return the final ones.

    ``timeout`` (seconds or a ``timedelta``) bounds the whole wait, every
    request it makes included. On timeout: raise
    :class:`~jobharness.errors.WaitTimeout` naming every unfinished job with
    its last known state and the tail of its output, after cancelling them if
    ``on_timeout`` is ``cancel`` (the cancels have :data:`CANCEL_TIMEOUT` of
    their own); or, with ``continue``, return what is final. The observers of
    :mod:`jobharness.progress` hear of every state change as it is seen.
    """
    __tracebackhide__ = True
    jobs = _checked_jobs(jobs)
    mode = WaitMode.parse(mode)
    policy = OnTimeout.parse(on_timeout)
    deadline = Deadline(timeout, "wait")
    if not jobs:
        return []
    enough = len(jobs) if mode is WaitMode.ALL else 1
    watch = WaitWatch(WaitStatus(describe_awaited(jobs, mode.value), jobs, deadline))
    try:
        with bounded(deadline):
            if len(jobs) == 1 and jobs[0].blocks_on_server and not jobs[0].done:
                progress = _block_until_done(jobs[0], deadline, watch)
            else:
                progress = _poll_until(jobs, deadline, poll or jobs[0].poll, enough, watch)
    finally:
        watch.end()
    if len(progress.finished) < enough:
        what = f"{len(jobs)} job(s)" if mode is WaitMode.ALL else f"any of {len(jobs)} job(s)"
        _timed_out(jobs, deadline, policy, what, progress.error)
    return progress.finished


def as_completed(
    jobs: Sequence[Job],
    timeout: float,
    *,
    poll: PollPolicy | None = None,
    on_timeout: OnTimeout | str = OnTimeout.FAIL,
) -> Iterator[Job]:
    """Yield jobs as they become final, sharing refreshes; the whole iteration has one deadline.

    The deadline bounds the requests made while polling, not the caller's
    own work between two yielded jobs.
    """
    __tracebackhide__ = True
    remaining = _checked_jobs(jobs)
    policy = OnTimeout.parse(on_timeout)
    deadline = Deadline(timeout, "wait")
    if not remaining:
        return
    poll = poll or remaining[0].poll
    intervals = poll.intervals()  # one backoff for the whole iteration
    while remaining:
        watch = WaitWatch(WaitStatus(describe_awaited(remaining, "any"), remaining, deadline))
        try:
            with bounded(deadline):
                progress = _poll_until(remaining, deadline, poll, 1, watch, intervals)
        finally:
            watch.end()
        if not progress.finished:
            _timed_out(
                remaining, deadline, policy, f"{len(remaining)} remaining job(s)", progress.error
            )
            return
        for job in progress.finished:
            remaining.remove(job)
            yield job
