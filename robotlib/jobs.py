"""Backend-neutral keywords on job handles, whatever library started the job."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from robot.api import logger
from robot.api.deco import keyword, library

from jobharness.jobs import DEFAULT_TIMEOUT, Job, JobResult, JobState
from robotlib._common import JobLog, OnTimeoutName, log_result, seconds, wait_and_log


@library(scope="GLOBAL", auto_keywords=False)
class JobLibrary:
    """Keywords that work on any job handle returned by a jobharness backend library.

    A job handle is what keywords such as ``Start Task Instance`` or
    ``Submit Harp Call`` return. Every wait has a deadline: ``timeout``
    (default 60 seconds, or the library argument) accepts Robot time
    formats such as ``30 s`` or ``1 min 30 s``. When it runs out, ``on_timeout``
    decides: ``fail`` (default) fails the keyword naming each unfinished job
    with its last known state, ``cancel`` (alias ``terminate``) cancels them
    first, ``continue`` returns and lets the test decide.

    States are backend-neutral: ``pending``, ``running``, ``succeeded``,
    ``failed``, ``cancelled`` and ``error``; the backend's own state name is
    kept as the *native state*.

    Example:
    | ${job}=            | Start Task Instance | sleeper    | seconds=1 |
    | ${result}=         | Wait For Job        | ${job}     | timeout=30 s |
    | Job Should Have Succeeded | ${job}       |            |           |
    """

    def __init__(self, timeout: timedelta = timedelta(seconds=DEFAULT_TIMEOUT)) -> None:
        self.default_timeout = seconds(timeout, DEFAULT_TIMEOUT)
        self.job_log = JobLog()

    @keyword
    def wait_for_job(
        self,
        job: Job,
        timeout: timedelta | None = None,
        poll: timedelta | None = None,
        on_timeout: OnTimeoutName = "fail",
    ) -> JobResult:
        """Wait until ``job`` is finished and return its result.

        ``poll`` caps the polling interval (polling starts fast and backs off).
        The result is logged as a table; it is returned even when the job failed:
        use `Job Should Have Succeeded` to assert on it.
        """
        wait_and_log(
            [job],
            timeout,
            self.default_timeout,
            job_log=self.job_log,
            poll=poll,
            on_timeout=on_timeout,
        )
        result = job.result
        log_result(result)
        return result

    @keyword
    def wait_for_jobs(
        self,
        *jobs: Job,
        timeout: timedelta | None = None,
        poll: timedelta | None = None,
        on_timeout: OnTimeoutName = "fail",
    ) -> list[JobResult]:
        """Wait until all ``jobs`` are finished; return their results in the same order.

        Jobs of one backend share their status requests where the backend allows it.
        """
        wait_and_log(
            list(jobs),
            timeout,
            self.default_timeout,
            job_log=self.job_log,
            poll=poll,
            on_timeout=on_timeout,
        )
        return [job.result for job in jobs]

    @keyword
    def wait_for_any_job(
        self,
        *jobs: Job,
        timeout: timedelta | None = None,
        poll: timedelta | None = None,
        on_timeout: OnTimeoutName = "fail",
    ) -> Job | None:
        """Wait until any of ``jobs`` is finished; return it (``None`` after ``continue``)."""
        finished = wait_and_log(
            list(jobs),
            timeout,
            self.default_timeout,
            job_log=self.job_log,
            poll=poll,
            on_timeout=on_timeout,
            mode="any",
        )
        return finished[0] if finished else None

    @keyword
    def get_job_state(self, job: Job, refresh: bool = True) -> str:
        """Return the state of ``job`` (``pending``, ``running``, ``succeeded``, ...).

        With ``refresh`` (default) the server is asked first.
        """
        if refresh:
            job.refresh()
            self.job_log.changes(job)
        return job.state.value

    @keyword
    def get_job_native_state(self, job: Job, refresh: bool = True) -> str:
        """Return the state of ``job`` in the backend's own words."""
        self.get_job_state(job, refresh)
        return job.native_state

    @keyword
    def job_state_should_be(self, job: Job, expected: str, refresh: bool = True) -> None:
        """Fail unless the state of ``job`` is ``expected``.

        ``expected`` may be a neutral state (``succeeded``) or a native one
        (``successful``), compared case-insensitively.
        """
        state = self.get_job_state(job, refresh)
        wanted = expected.strip().lower()
        if wanted not in (state, job.native_state.lower()):
            raise AssertionError(
                f"{job.backend} job {job.id} is {state} (native {job.native_state!r}), "
                f"expected {expected!r}"
            )

    @keyword
    def job_should_have_succeeded(self, job: Job) -> None:
        """Fail unless ``job`` is finished and succeeded; the failure names its state and error."""
        job.refresh()
        self.job_log.changes(job)
        job.result.raise_for_state()

    @keyword
    def job_should_have_failed(self, job: Job) -> None:
        """Fail unless ``job`` is finished in ``failed`` or ``error``."""
        job.refresh()
        self.job_log.changes(job)
        if job.state not in (JobState.FAILED, JobState.ERROR):
            raise AssertionError(f"expected {job.summary()} to have failed")

    @keyword
    def cancel_job(self, job: Job) -> bool:
        """Cancel ``job`` if it is not finished; return whether the server accepted the cancel."""
        accepted = job.cancel()
        logger.info(f"cancel {job.summary()}: {'accepted' if accepted else 'nothing to cancel'}")
        return accepted

    @keyword
    def get_job_result(self, job: Job) -> JobResult:
        """Return what is known of ``job`` now (its value and error once it is finished)."""
        job.refresh()
        self.job_log.changes(job)
        return job.result

    @keyword
    def get_job_output(self, job: Job) -> str:
        """Return the output of ``job``, for backends that keep one (empty otherwise)."""
        return job.output() or ""

    @keyword
    def log_job_result(self, job: Job) -> Any:
        """Log the current result of ``job`` as a table and return it."""
        result = self.get_job_result(job)
        log_result(result)
        return result
