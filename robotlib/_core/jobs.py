"""The job keywords every library shares: waits, state assertions, results, cleanup.

Each component names its keywords with the library's noun: JobLibrary's
``Wait For Job`` is SaltantLibrary's ``Wait For Task Instance`` and
HarpLibrary's ``Wait For Harp Call``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from jobharness.errors import ConfigurationError
from jobharness.failures import describe_job, identify, output_block, read_output, state_words
from jobharness.jobs import Job, JobResult, JobState
from robotlib._core.conversions import OnTimeoutName
from robotlib._core.library import Component
from robotlib._core.logging import log_result, wait_and_log


def checked_job(job: Any, noun: str = "job") -> Job:
    """``job`` if it is a job handle; a clear error saying what it is otherwise."""
    if not isinstance(job, Job):
        raise ConfigurationError(
            f"expected a {noun} handle (what a start or submit keyword returns), "
            f"got {type(job).__name__} {job!r}"
        )
    return job


class WaitKeywords(Component):
    """``Wait For {noun}``, ``Wait For {plural}``, ``Wait For Any {noun}``.

    A backend changes what a wait returns (:meth:`returned`) and which rows
    its result table gets (:meth:`result_rows`).
    """

    def returned(self, job: Job) -> Any:
        """What ``Wait For {noun}`` returns for a job: its result."""
        return job.result

    def result_rows(self, job: Job) -> list[tuple[str, Any]]:
        """Extra rows of a job's result table."""
        return []

    def _wait(
        self,
        jobs: tuple[Any, ...],
        timeout: timedelta | None,
        poll: timedelta | None,
        on_timeout: str,
        mode: str = "all",
    ) -> list[Job]:
        handles = [checked_job(job, self.names["noun"]) for job in jobs]
        return wait_and_log(
            handles,
            timeout,
            self.ctx.default_timeout,
            job_log=self.ctx.job_log,
            poll=poll,
            on_timeout=on_timeout,
            mode=mode,
            progress=self.ctx.progress,
        )

    def _log_results(self, jobs: tuple[Any, ...]) -> None:
        for job in jobs:
            if job.done:
                log_result(job.result, self.result_rows(job))
            else:
                logger.info(f"{job.summary()} (still unfinished, continuing)")

    @keyword("Wait For {noun}")
    def wait_for_job(
        self,
        job: Job,
        timeout: timedelta | None = None,
        poll: timedelta | None = None,
        on_timeout: OnTimeoutName = "fail",
    ) -> Any:
        """Wait until the {what} ``job`` is finished and return {returns}.

        ``timeout`` (default: the library's) bounds the whole wait, every
        request it makes included. ``poll`` caps the polling interval (polling
        starts fast and backs off). When the time is up, ``on_timeout``
        decides: ``fail`` fails naming the job and its last known state,
        ``cancel`` (alias ``terminate``) cancels it and fails, ``continue``
        returns it as it is. A job that ended badly does not fail this
        keyword: assert with `{noun} State Should Be` or `{noun} Should Have Succeeded`.

        | ${result}= | Wait For {noun} | ${job} | timeout=1 min |
        """
        self._wait((job,), timeout, poll, on_timeout)
        self._log_results((job,))
        return self.returned(job)

    @keyword("Wait For {plural}")
    def wait_for_jobs(
        self,
        *jobs: Job,
        timeout: timedelta | None = None,
        poll: timedelta | None = None,
        on_timeout: OnTimeoutName = "fail",
    ) -> list[Any]:
        """Wait until every one of ``jobs`` is finished; return {returns_many} in the same order.

        Jobs of one backend share their status requests where the backend
        allows it (one list request per poll round for saltant). ``timeout``
        bounds the whole wait; see `Wait For {noun}` for the other arguments.

        | @{results}= | Wait For {plural} | ${a} | ${b} | timeout=2 min |
        """
        self._wait(jobs, timeout, poll, on_timeout)
        self._log_results(jobs)
        return [self.returned(job) for job in jobs]

    @keyword("Wait For Any {noun}")
    def wait_for_any_job(
        self,
        *jobs: Job,
        timeout: timedelta | None = None,
        poll: timedelta | None = None,
        on_timeout: OnTimeoutName = "fail",
    ) -> Job | None:
        """Wait until any of ``jobs`` is finished; return it (``None`` after ``continue``).

        | ${first}= | Wait For Any {noun} | ${a} | ${b} | timeout=1 min |
        """
        finished = self._wait(jobs, timeout, poll, on_timeout, mode="any")
        return finished[0] if finished else None


class StateKeywords(Component):
    """``Get {noun} State``, ``{noun} State Should Be`` and the success/failure assertions.

    A backend that lists its own state names in :attr:`native_states` makes a
    misspelt expected state an error rather than a failed assertion.
    """

    native_states: tuple[str, ...] = ()

    def _refreshed(self, job: Any, refresh: bool) -> Job:
        handle = checked_job(job, self.names["noun"])
        if refresh:
            handle.refresh()
            self.ctx.job_log.changes(handle)
        return handle

    @keyword("Get {noun} State")
    def get_job_state(self, job: Job, refresh: bool = True) -> str:
        """Return the state of ``job``: ``pending``, ``running``, ``succeeded``, ``failed``,
        ``cancelled`` or ``error``.

        With ``refresh`` (default) the server is asked first.
        """
        return self._refreshed(job, refresh).state.value

    @keyword("Get {noun} Native State")
    def get_job_native_state(self, job: Job, refresh: bool = True) -> str:
        """Return the state of ``job`` in the backend's own words."""
        return self._refreshed(job, refresh).native_state

    @keyword("{noun} State Should Be")
    def job_state_should_be(self, job: Job, expected: str, refresh: bool = True) -> None:
        """Fail unless the state of ``job`` is ``expected``.

        ``expected`` is a job state (``succeeded``, ``cancelled`` ...) or the
        backend's own state name, compared case-insensitively. With
        ``refresh`` (default) the server is asked first.

        | {noun} State Should Be | ${job} | succeeded |
        """
        handle = self._refreshed(job, refresh)
        wanted = str(expected).strip().lower()
        neutral = {state.value for state in JobState}
        if self.native_states and wanted not in neutral and wanted not in self.native_states:
            raise ConfigurationError(
                f"unknown state {expected!r}: use one of {', '.join(self.native_states)} "
                f"or {', '.join(sorted(neutral))}"
            )
        actual = handle.state.value if wanted in neutral else handle.native_state.lower()
        if actual != wanted:
            raise AssertionError(
                f"expected state {wanted!r}, got {actual!r}: {describe_job(handle)}"
            )

    @keyword("{noun} Should Have Succeeded")
    def job_should_have_succeeded(self, job: Job) -> None:
        """Fail unless ``job`` is finished and succeeded.

        The failure names the job (backend, id, name), its state in both
        words, its exit code and error, and the tail of its output, where the
        backend has them.
        """
        self._refreshed(job, True).raise_for_state()

    @keyword("{noun} Should Have Failed")
    def job_should_have_failed(self, job: Job) -> None:
        """Fail unless ``job`` is finished in ``failed`` or ``error``; the failure names the job."""
        handle = self._refreshed(job, True)
        if handle.state not in (JobState.FAILED, JobState.ERROR):
            raise AssertionError(
                f"expected {identify(handle)} to have failed, but it is "
                f"{state_words(handle.state.value, handle.native_state)}"
                + output_block(read_output(handle))
            )


class ResultKeywords(Component):
    """``Cancel {noun}``, ``Get {noun} Result``, ``Get {noun} Output``, ``Log {noun} Result``."""

    @keyword("Cancel {noun}")
    def cancel_job(self, job: Job) -> bool:
        """Cancel ``job`` if it is not finished; return whether the server accepted the cancel.

        | ${stopped}= | Cancel {noun} | ${job} |
        """
        handle = checked_job(job, self.names["noun"])
        accepted = handle.cancel()
        self.ctx.job_log.changes(handle)
        logger.info(f"cancel {handle.summary()}: {'accepted' if accepted else 'nothing to cancel'}")
        return accepted

    @keyword("Get {noun} Result")
    def get_job_result(self, job: Job) -> JobResult:
        """Return what is known of ``job`` now (its value and error once it is finished)."""
        handle = checked_job(job, self.names["noun"])
        handle.refresh()
        self.ctx.job_log.changes(handle)
        return handle.result

    @keyword("Get {noun} Output")
    def get_job_output(self, job: Job) -> str:
        """Return the output of ``job``, for backends that keep one (empty otherwise)."""
        return checked_job(job, self.names["noun"]).output() or ""

    @keyword("Log {noun} Result")
    def log_job_result(self, job: Job) -> JobResult:
        """Log the current result of ``job`` as a table and return it."""
        result: JobResult = self.get_job_result(job)
        log_result(result)
        return result


class CleanupKeywords(Component):
    """``Clean Up Leftover {plural}``: what the end of the test would do, now."""

    @keyword("Clean Up Leftover {plural}")
    def clean_up_leftovers(self) -> int:
        """Clean up now what the current test (or suite) started and left running.

        The same happens on its own when the test ends (see the library's
        ``cleanup`` argument); this is for a test or teardown that wants it
        earlier. Returns how many things were cleaned up; what could not be
        is logged as a warning.
        """
        report = self.ctx.tracker.clean_up_scope()
        self.ctx.report(report)
        return len(report.done)
