"""What a report keeps of a job: who it was, when its state changed, how it ended.

A :class:`JobRecord` is a plain, picklable and JSON-able snapshot of a
:class:`~jobharness.jobs.Job` taken when a test ends, so a report can be
drawn later (in another process, say an xdist controller) without the job
or its client. Every text in it is redacted when it is taken: a record never
holds a secret that a live client knows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from jobharness.deadline import Deadline, bounded
from jobharness.errors import ConfigurationError, JobHarnessError
from jobharness.jobs import Job, JobState
from jobharness.redaction import live_secrets, redact

OUTPUT_TAIL = 4000
"""Characters of a failed job's output a record keeps (the end of it)."""
REFRESH_TIMEOUT = 2.0
"""Seconds :func:`records_of` may spend asking for the last states of unfinished jobs and
reading failed jobs' output, all together."""
STOPPING_POLL = 0.05
"""Seconds between two questions about a job whose cancel was accepted but that still runs."""


@dataclass(frozen=True)
class Change:
    """One state change of a recorded job: wall-clock time, state, native state."""

    at: float
    state: JobState
    native_state: str


@dataclass(frozen=True)
class JobRecord:
    """A snapshot of one job for reports: identity, state changes and (when failed) output."""

    backend: str
    job_id: str
    name: str
    changes: tuple[Change, ...]
    output: str | None = None
    output_error: str | None = None
    extra: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @property
    def state(self) -> JobState:
        """The last state seen."""
        return self.changes[-1].state

    @property
    def native_state(self) -> str:
        """The last native state seen."""
        return self.changes[-1].native_state

    @property
    def final(self) -> bool:
        """True when the last state seen is final."""
        return self.state.is_final

    @property
    def submitted(self) -> float:
        """When the job was submitted (its first recorded state)."""
        return self.changes[0].at

    @property
    def started(self) -> float | None:
        """When the job was first seen running (or ended without being seen running)."""
        for change in self.changes:
            if change.state is not JobState.PENDING:
                return change.at
        return None

    @property
    def ended(self) -> float | None:
        """When the job was first seen in a final state; ``None`` while unfinished."""
        for change in self.changes:
            if change.state.is_final:
                return change.at
        return None

    @property
    def label(self) -> str:
        """The job's name, or its backend and id when it has none."""
        return self.name or f"{self.backend} {self.job_id}"

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON-able data (see :meth:`from_dict`)."""
        return {
            "backend": self.backend,
            "job_id": self.job_id,
            "name": self.name,
            "changes": [[c.at, c.state.value, c.native_state] for c in self.changes],
            "output": self.output,
            "output_error": self.output_error,
            "extra": [list(pair) for pair in self.extra],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> JobRecord:
        """A record from :meth:`to_dict` data; ConfigurationError naming what is wrong."""
        try:
            changes = tuple(
                Change(float(at), JobState.parse(state), str(native))
                for at, state, native in data["changes"]
            )
            if not changes:
                raise ValueError("no state changes")
            return cls(
                backend=str(data["backend"]),
                job_id=str(data["job_id"]),
                name=str(data.get("name") or ""),
                changes=changes,
                output=_optional_text(data.get("output")),
                output_error=_optional_text(data.get("output_error")),
                extra=tuple((str(k), str(v)) for k, v in data.get("extra") or ()),
            )
        except (KeyError, TypeError, ValueError, JobHarnessError) as exc:
            raise ConfigurationError(f"malformed job record {dict(data)!r:.200}: {exc}") from exc


def _optional_text(value: Any) -> str | None:
    return None if value is None else str(value)


def record_of(
    job: Job,
    clean: Callable[[str], str] | None = None,
    secrets: Iterable[str] = (),
    output_timeout: float | None = None,
) -> JobRecord:
    """Snapshot ``job`` now, every text passed through ``clean``.

    The default ``clean`` masks ``secrets``, every secret a live client
    knows and credential shapes.

    The output (its last :data:`OUTPUT_TAIL` characters) is kept for jobs
    that ended failed or in error, where the backend has output; reading it
    takes at most ``output_timeout`` seconds when given.
    """
    if clean is None:
        known = live_secrets() | set(secrets)

        def clean(text: str) -> str:
            return redact(text, known)

    changes = tuple(Change(c.at, c.state, clean(c.native_state)) for c in job.history)
    if not changes or changes[-1].state is not job.state:
        changes += (Change(changes[-1].at if changes else 0.0, job.state, job.native_state),)
    output = error = None
    if job.state in (JobState.FAILED, JobState.ERROR):
        try:
            text = _read_output(job, output_timeout)
        except JobHarnessError as exc:
            error = clean(f"output unavailable: {exc}")
        else:
            if text:
                text = clean(text)  # before cutting, so no secret is cut in half and kept
                output = text[-OUTPUT_TAIL:] if len(text) > OUTPUT_TAIL else text
    return JobRecord(
        backend=clean(job.backend),
        job_id=clean(str(job.id)),
        name=clean(job.name or ""),
        changes=changes,
        output=output,
        output_error=error,
    )


def _read_output(job: Job, timeout: float | None) -> str | None:
    if timeout is None:
        return job.output()
    if timeout <= 0:
        raise JobHarnessError("not read: the time for reports was spent")
    with bounded(Deadline(timeout, "reading the output")):
        return job.output()


def records_of(
    jobs: Iterable[object], refresh_timeout: float = REFRESH_TIMEOUT, secrets: Iterable[str] = ()
) -> list[JobRecord]:
    """Records of the jobs among ``jobs`` (other cleanables are skipped), in order.

    Texts are redacted (``secrets``, what live clients know, credential shapes).

    Unfinished jobs are asked for their state, so a job a cleanup has just
    cancelled shows how it ended, and failed jobs' output is read: all within
    ``refresh_timeout`` (0 asks nothing). A job still running is asked once;
    a cancelled one that is still stopping (a server stops it after it
    accepted the cancel) is asked again until it ends. A failed request
    leaves the last known state.
    """
    found: list[Job] = []
    for item in jobs:
        if isinstance(item, Job) and item not in found:
            found.append(item)
    unfinished = [job for job in found if not job.done]
    budget = Deadline(max(refresh_timeout, 0.0), "timeline refresh")
    if unfinished and refresh_timeout > 0:
        with bounded(budget):
            _refresh(unfinished)
            stopping = [job for job in unfinished if job.cancel_accepted and not job.done]
            while stopping and not budget.expired:
                budget.sleep(STOPPING_POLL)
                _refresh(stopping)
                stopping = [job for job in stopping if not job.done]
    secrets = set(secrets)
    return [record_of(job, secrets=secrets, output_timeout=budget.remaining()) for job in found]


def _refresh(jobs: Iterable[Job]) -> None:
    """Ask for each job's state once; a failed request leaves the last known state."""
    for job in jobs:
        try:
            job.refresh()
        except JobHarnessError:
            continue


def failed(records: Sequence[JobRecord]) -> list[JobRecord]:
    """The records of jobs that ended failed or in error."""
    return [r for r in records if r.state in (JobState.FAILED, JobState.ERROR)]
