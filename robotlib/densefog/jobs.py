"""Jobs: handles from ids or answers, their native fields, and the waits' result tables."""

from __future__ import annotations

import json
from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from jobharness.backends.densefog import STATE_MAP, DensefogJob, protocol
from jobharness.jobs import Job
from robotlib._core.connections import UsesConnection
from robotlib._core.jobs import StateKeywords, WaitKeywords, checked_job
from robotlib.densefog.actions import merged
from robotlib.densefog.connection import DensefogConnection


class JobKeywords(UsesConnection[DensefogConnection]):
    """``Submit Densefog Job``, ``Get Densefog Job``, ``Get Densefog Job Details``."""

    @keyword
    def submit_densefog_job(
        self, action: str, params: dict[str, Any] | None = None, **more: Any
    ) -> DensefogJob:
        """Call an action that makes a job (its answer has ``jobId``); return the job's handle.

        The job is tracked: when the test ends it is waited for, within the
        cleanup's time (densefog cannot cancel a job). Its answer is in
        ``${job.data}``. Parameters as in `Call Densefog Action`.

        | ${job}= | Submit Densefog Job | CreateInstances | count=${1} |
        """
        job = self.connection.client.submit(action, merged(params, more))
        logger.info(f"submitted {job.summary()}")
        self.ctx.track(job)
        return job

    @keyword
    def get_densefog_job(self, job: str | dict[str, Any] | DensefogJob) -> DensefogJob:
        """A refreshed handle on a job, from its id, an answer with ``jobId``, or a handle.

        A job got this way is not waited for at cleanup: this test did not make it.

        | ${job}= | Get Densefog Job | ${made} |
        | ${job}= | Get Densefog Job | job-RZheuw3F7x |
        """
        client = self.connection.client
        if isinstance(job, DensefogJob):
            handle = job
        elif isinstance(job, dict):
            handle = client.job_of(job)
        else:
            handle = client.job(str(job))
        handle.refresh()
        self.ctx.job_log.changes(handle)
        return handle

    @keyword
    def get_densefog_job_details(self, job: DensefogJob, refresh: bool = True) -> dict[str, Any]:
        """Return the job's native fields: ``status``, ``action``, ``trys``, ``try_max``,
        ``try_period``, ``run_at``, ``error``, ``result``, ``params``, ``resource_ids``,
        ``created``, ``updated`` and ``stuck`` (fields the source does not show are ``None``).

        | ${d}= | Get Densefog Job Details | ${job} |
        | Should Be Equal As Integers | ${d}[trys] | 1 |
        """
        handle = checked_job(job, "Densefog Job")
        if refresh and not handle.done:
            handle.refresh()
            self.ctx.job_log.changes(handle)
        return job_details(handle)


def job_details(job: Job) -> dict[str, Any]:
    """The native fields of a densefog job (empty for another kind of job)."""
    if not isinstance(job, DensefogJob):
        return {}
    record = job.record
    details: dict[str, Any] = {"status": job.native_state, "stuck": job.stuck}
    names = ("action", "trys", "try_max", "try_period", "error", "result", "params")
    for name in names:
        details[name] = getattr(record, name) if record else None
    for name in ("run_at", "created", "updated"):
        details[name] = protocol.format_time(getattr(record, name)) if record else None
    details["resource_ids"] = list(record.resource_ids) if record else []
    return details


class DensefogStates(StateKeywords):
    """The shared state keywords; densefog's own statuses are checked for typos.

    ``error`` is densefog's own status here (the job failed for good); a job in
    the neutral state ``error`` is a stuck one: its native status is ``running``.
    """

    native_states = tuple(STATE_MAP)

    @keyword("{noun} State Should Be")
    def job_state_should_be(self, job: Job, expected: str, refresh: bool = True) -> None:
        """Fail unless the state of ``job`` is ``expected``.

        ``expected`` is a densefog status (``pending``, ``running``, ``finished``,
        ``error``) or a job state (``succeeded``, ``failed`` ...), compared
        case-insensitively; ``error`` means densefog's status. With ``refresh``
        (default) the service is asked first.

        | {noun} State Should Be | ${job} | finished |
        """
        if str(expected).strip().lower() == protocol.JOB_ERROR:
            handle = self._refreshed(job, refresh)
            if handle.native_state != protocol.JOB_ERROR:
                raise AssertionError(
                    f"{handle.summary()}: expected state 'error', got {handle.native_state!r}"
                )
            return
        super().job_state_should_be(job, expected, refresh)


class DensefogWaits(WaitKeywords):
    """The shared waits, with each job's action, attempts, next run and error in its table."""

    def result_rows(self, job: Job) -> list[tuple[str, Any]]:
        """Action, attempts, next run, error and resources of the job."""
        details = job_details(job)
        if not details:
            return []
        rows = [
            ("action", details["action"]),
            ("trys / try_max", f"{details['trys']} / {details['try_max']}"),
            ("run_at", details["run_at"]),
            ("resources", ", ".join(details["resource_ids"])),
        ]
        if details["error"]:
            rows.append(("native error", details["error"]))
        if details["result"] is not None:
            rows.append(("result", json.dumps(details["result"], default=str)))
        return rows
