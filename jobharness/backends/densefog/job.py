"""densefog jobs as jobs of the shared model, read through an app's jobs action or the job table.

State mapping (the row's ``status`` stays visible as ``native_state``):

==========  ============
densefog    jobharness
==========  ============
pending     pending (also between two attempts: ``trys`` and ``run_at`` say so)
running     running; ``error`` when it made no progress for ``stuck_after`` seconds
finished    succeeded (``result`` holds the action's return value)
error       failed (``error`` holds the final attempt's exception text)
other       running (kept as the native state)
==========  ============

A worker marks a row ``running`` before it runs the job, and leaves it so when
the job's action is unknown to it, its params are not JSON, its return value
cannot be serialised, or the worker stopped while it ran; only a worker restart
sets such rows back to ``pending``. A job seen ``running`` with no change of
status, attempts, next run or update time for ``stuck_after`` seconds is
reported *stuck*: its state becomes ``error`` with that explanation.

densefog cannot cancel a job. A cancel is refused, and the cleanup of a job
waits for it to end (within the cleanup's deadline).
"""

from __future__ import annotations

import dataclasses
import json
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from jobharness.backends.densefog import protocol
from jobharness.backends.densefog.errors import JobNotFound
from jobharness.backends.densefog.jobtable import JobTable
from jobharness.deadline import current
from jobharness.errors import CleanupRefused, ProtocolError
from jobharness.jobs import DEFAULT_TIMEOUT, Job, JobResult, JobState, PollPolicy
from jobharness.waiting import wait_for

if TYPE_CHECKING:
    from jobharness.backends.densefog.client import DensefogClient

STATE_MAP: dict[str, JobState] = {
    protocol.JOB_PENDING: JobState.PENDING,
    protocol.JOB_RUNNING: JobState.RUNNING,
    protocol.JOB_FINISHED: JobState.SUCCEEDED,
    protocol.JOB_ERROR: JobState.FAILED,
}

DEFAULT_STUCK_AFTER = 630.0
"""Seconds ``running`` without progress before a job is reported stuck: densefog's default
``exec_timeout`` (600 s) ends every healthy attempt sooner, plus the worker's ticks."""
TABLE_POLL = PollPolicy(initial=0.02, factor=1.5, maximum=0.1)
"""Polling of jobs read from the table: a query costs little, so a finished row is seen fast."""
ACTION_POLL = PollPolicy(initial=0.05, factor=1.5, maximum=1.0)
"""Polling of jobs read through the jobs action (one action call per round)."""
NO_CANCEL = "densefog has no way to cancel a job: the service's worker runs it to its end"


def map_state(native: str) -> JobState:
    """The job state for a densefog status; unknown ones count as running."""
    return STATE_MAP.get(native, JobState.RUNNING)


def stuck_reason(seconds: float) -> str:
    """Why a job can stay ``running`` for good, for the stuck job's error."""
    return (
        f"stuck: running for {seconds:.0f} s without progress. A densefog worker marks a job "
        "running before it runs it, and leaves it so when the job's action is not in the "
        "worker's action module, its params are not valid JSON, its return value cannot be "
        "serialised to JSON, or the worker was stopped (or a second worker reset it) while it "
        "ran; only a worker restart sets it back to pending. See the worker's log."
    )


# -- where job rows come from -------------------------------------------------------------------


class JobSource(ABC):
    """Where jobs' rows are read: :meth:`fetch` is one request or query for many ids."""

    batch: ClassVar[int] = 100
    poll: ClassVar[PollPolicy] = ACTION_POLL

    @property
    @abstractmethod
    def where(self) -> str:
        """How messages name the source."""

    @abstractmethod
    def fetch(self, job_ids: Sequence[str]) -> dict[str, protocol.JobRecord]:
        """The records of those ``job_ids`` the source knows, by id."""


@dataclass(frozen=True)
class JobFields:
    """The names of a jobs action's fields (densefog's ``Job.format()`` plus common extras)."""

    id: str = "jobId"
    status: str = "status"
    action: str = "action"
    project_id: str = "projectId"
    resource_ids: str = "resourceIds"
    created: str = "created"
    updated: str = "updated"
    trys: str = "trys"
    try_max: str = "tryMax"
    try_period: str = "tryPeriod"
    run_at: str = "runAt"
    error: str = "error"
    result: str = "result"
    params: str = "params"


@dataclass(frozen=True)
class JobsAction:
    """An app's action that describes jobs by id, and how its answer is laid out.

    The answer's data holds a list under ``set_field`` (``{"jobSet": [...]}``);
    ``params`` are sent with every call; ``limit_param`` (None: not sent) asks
    for as many as requested.
    """

    action: str = "DescribeJobs"
    ids_param: str = "jobIds"
    set_field: str = "jobSet"
    fields: JobFields = field(default_factory=JobFields)
    params: Mapping[str, Any] = field(default_factory=dict)
    limit_param: str | None = "limit"


class ActionJobSource(JobSource):
    """Jobs read through an app's jobs action (:class:`JobsAction`)."""

    def __init__(self, client: DensefogClient, spec: JobsAction) -> None:
        self.client = client
        self.spec = spec

    @property
    def where(self) -> str:
        """``DescribeJobs of densefog at <url>``."""
        return f"{self.spec.action} of densefog at {self.client.redact(self.client.url)}"

    def fetch(self, job_ids: Sequence[str]) -> dict[str, protocol.JobRecord]:
        """One call of the jobs action for ``job_ids``."""
        spec = self.spec
        params: dict[str, Any] = {**spec.params, spec.ids_param: list(job_ids)}
        if spec.limit_param:
            params[spec.limit_param] = len(job_ids)
        data = self.client.call_with(spec.action, params, idempotent=True)
        items = data.get(spec.set_field) if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise ProtocolError(
                f"{self.where}: expected data with a {spec.set_field!r} list, got "
                f"{self.client.redact(repr(data))[:200]}"
            )
        found: dict[str, protocol.JobRecord] = {}
        for item in items:
            try:
                record = self._record(item)
            except ValueError as exc:
                raise ProtocolError(f"{self.where}: a job is malformed: {exc}") from None
            found[record.id] = record
        return found

    def _record(self, item: Any) -> protocol.JobRecord:
        names = self.spec.fields
        if not isinstance(item, dict):
            raise ValueError(f"{item!r} is not an object")
        row = {key: item.get(getattr(names, key)) for key in protocol.JOB_COLUMNS if key != "id"}
        row["id"] = item.get(names.id)
        ids = item.get(names.resource_ids)
        for key in ("result", "params"):  # an action shows these decoded already
            if row[key] is not None and not isinstance(row[key], str):
                row[key] = json.dumps(row[key])
        record = protocol.record_from_row(row)
        if isinstance(ids, list) and not record.resource_ids:
            record = dataclasses.replace(record, resource_ids=[str(i) for i in ids])
        return record


class TableJobSource(JobSource):
    """Jobs read from the job table directly (:class:`~.jobtable.JobTable`)."""

    batch: ClassVar[int] = 500
    poll: ClassVar[PollPolicy] = TABLE_POLL

    def __init__(self, table: JobTable) -> None:
        self.table = table

    @property
    def where(self) -> str:
        """``job table at <DSN>``."""
        return self.table.where

    def fetch(self, job_ids: Sequence[str]) -> dict[str, protocol.JobRecord]:
        """One query for ``job_ids``."""
        return self.table.fetch(job_ids)


# -- the job ----------------------------------------------------------------------------------


class DensefogJob(Job):
    """A row of a densefog ``job`` table as a :class:`~jobharness.jobs.Job`.

    ``record`` is the latest :class:`~.protocol.JobRecord` seen (None before the
    first refresh); :attr:`trys`, :attr:`try_max`, :attr:`run_at` and
    :attr:`error` show it. ``data`` is the answer of the action that made the
    job, when it was made through this client.
    """

    backend = "densefog"
    cleanup_action: ClassVar[str] = "await"

    def __init__(
        self,
        job_id: str,
        source: JobSource,
        *,
        record: protocol.JobRecord | None = None,
        name: str = "",
        data: Any = None,
        default_timeout: float = DEFAULT_TIMEOUT,
        poll: PollPolicy | None = None,
        stuck_after: float | None = DEFAULT_STUCK_AFTER,
    ) -> None:
        native = record.status if record is not None else protocol.JOB_PENDING
        super().__init__(
            job_id,
            name=name,
            state=map_state(native),
            native_state=native,
            default_timeout=default_timeout,
            poll=poll or source.poll,
        )
        self.source = source
        self.record = record
        self.data = data
        self.stuck_after = stuck_after
        self.stuck = False
        self._progress: tuple[Any, ...] | None = record.progress if record else None
        self._progress_at = time.monotonic()

    # -- native fields -----------------------------------------------------------------

    @property
    def trys(self) -> int | None:
        """Attempts made so far (None when the source does not show them)."""
        return self.record.trys if self.record else None

    @property
    def try_max(self) -> int | None:
        """Attempts allowed (0 and 1 both mean one)."""
        return self.record.try_max if self.record else None

    @property
    def run_at(self) -> Any:
        """When the job is next eligible (naive UTC), if shown."""
        return self.record.run_at if self.record else None

    @property
    def error(self) -> str | None:
        """The final attempt's exception text ('' until the job finally failed), if shown."""
        return self.record.error if self.record else None

    @property
    def idle_seconds(self) -> float:
        """Seconds since this job's row last changed, as seen by the refreshes."""
        return time.monotonic() - self._progress_at

    # -- the Job interface ---------------------------------------------------------------

    def _observe(self, record: protocol.JobRecord) -> None:
        self.record = record
        if record.progress != self._progress:
            self._progress, self._progress_at = record.progress, time.monotonic()
        state = map_state(record.status)
        if (
            state is JobState.RUNNING
            and record.status == protocol.JOB_RUNNING
            and self.stuck_after is not None
            and self.idle_seconds >= self.stuck_after
        ):
            self.stuck = True
            state = JobState.ERROR
        self._set_state(state, record.status)

    def _missing(self) -> JobNotFound:
        return JobNotFound(f"densefog job {self.id} is not in the {self.source.where}")

    def _fetch_state(self) -> tuple[JobState, str]:
        record = self.source.fetch([self.id]).get(self.id)
        if record is None:
            raise self._missing()
        self._observe(record)
        return self.state, self.native_state

    @classmethod
    def refresh_many(cls, jobs: Sequence[DensefogJob]) -> None:
        """One request (or query) per source and batch for all the unfinished ``jobs``."""
        groups: dict[int, list[DensefogJob]] = {}
        for job in jobs:
            if not job.done:
                groups.setdefault(id(job.source), []).append(job)
        for group in groups.values():
            source = group[0].source
            for start in range(0, len(group), source.batch):
                batch = group[start : start + source.batch]
                found = source.fetch([job.id for job in batch])
                for job in batch:
                    record = found.get(job.id)
                    if record is None:
                        raise job._missing()
                    job._observe(record)

    def _cancel(self) -> bool:
        raise CleanupRefused(NO_CANCEL)

    def clean_up(self) -> bool:
        """Wait for the job to end (within the cleanup's deadline); densefog cannot cancel it.

        Returns False when it had already ended, True when it ended meanwhile;
        raises :class:`~jobharness.errors.CleanupRefused` when it still runs.
        """
        if self.done or self.refresh().is_final:
            return False
        deadline = current()
        wait_for([self], deadline.remaining() if deadline else 0.0, on_timeout="continue")
        if not self.state.is_final:
            raise CleanupRefused(f"{NO_CANCEL}; still {self.summary()} after the cleanup's wait")
        return True

    def _build_result(self) -> JobResult:
        record = self.record
        error = None
        if self.stuck:
            error = stuck_reason(self.idle_seconds)
        elif self.state is JobState.FAILED:
            error = (record.error if record else None) or "the job ended in error"
        final = self.state is JobState.SUCCEEDED
        details: dict[str, Any] = {"source": self.source.where, "stuck": self.stuck}
        if record is not None:
            for name in ("action", "trys", "try_max", "try_period", "params", "project_id"):
                details[name] = getattr(record, name)
            for name in ("run_at", "created", "updated"):
                details[name] = protocol.format_time(getattr(record, name))
            details["resource_ids"] = list(record.resource_ids)
            details["native_error"] = record.error
        return JobResult(
            job_id=self.id,
            backend=self.backend,
            state=self.state,
            native_state=self.native_state,
            value=record.result if final and record else None,
            error=error,
            details=details,
        )

    def summary(self) -> str:
        """One line: id, action, state and native state, attempts; idle time while running."""
        line = super().summary()
        record = self.record
        if record is not None and record.trys is not None:
            line += f", trys {record.trys}/{record.try_max}"
        if self.native_state == protocol.JOB_RUNNING and not self.done:
            line += f", no progress for {self.idle_seconds:.1f} s"
        if self.stuck:
            line += " (stuck)"
        return line
