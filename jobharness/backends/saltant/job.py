"""Task instances as jobs of the shared job model, and refreshes that share list requests.

State mapping (saltant's own state stays visible as ``native_state``):

=====================  ============
saltant                jobharness
=====================  ============
created, published     pending
running                running
successful             succeeded
failed                 failed
terminated             cancelled
anything else          running (the server stores any string of 10 characters or fewer;
                       an unknown state is kept, and treated as not finished)
=====================  ============
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Sequence
from typing import Any

from jobharness.backends.saltant.bodies import encode_filters
from jobharness.backends.saltant.managers import TaskInstanceManager
from jobharness.backends.saltant.models import TaskInstance, format_datetime
from jobharness.jobs import DEFAULT_TIMEOUT, Job, JobResult, JobState, PollPolicy

STATE_MAP: dict[str, JobState] = {
    "created": JobState.PENDING,
    "published": JobState.PENDING,
    "running": JobState.RUNNING,
    "successful": JobState.SUCCEEDED,
    "failed": JobState.FAILED,
    "terminated": JobState.CANCELLED,
}

SHARED_LIST_MIN_JOBS = 2
"""From this many unfinished jobs of one kind on one server, a poll round uses one list request."""
SHARED_LIST_MAX_PAGES = 3
"""Pages read per shared refresh; jobs not seen in them are fetched one by one."""
SHARED_LIST_MIN_PAGE_SIZE = 100
"""Smallest page of a shared refresh (pages hold twice as many as the jobs refreshed, or this)."""


def map_state(native: str) -> JobState:
    """The job state for a saltant state; unknown strings count as running."""
    return STATE_MAP.get(native, JobState.RUNNING)


class SaltantJob(Job):
    """A saltant task instance (executable or container) as a :class:`~jobharness.jobs.Job`.

    ``instance`` is the latest :class:`~.models.TaskInstance` seen, updated in place by
    every refresh. :meth:`cancel` terminates the instance; the state becomes
    ``cancelled`` only once the server reports ``terminated``.
    """

    backend = "saltant"

    def __init__(
        self,
        instance: TaskInstance,
        *,
        default_timeout: float = DEFAULT_TIMEOUT,
        poll: PollPolicy | None = None,
        fresh: bool = False,
    ) -> None:
        """``fresh``: ``instance`` was fetched just now, so the first refresh sends nothing."""
        manager = instance._manager
        super().__init__(
            instance.uuid,
            name=instance.name,
            state=map_state(instance.state),
            native_state=instance.state,
            default_timeout=default_timeout,
            poll=poll or manager._client.poll,
        )
        self.instance = instance
        self.terminate_requested = False
        self._fresh = fresh

    @property
    def manager(self) -> TaskInstanceManager[Any]:
        """The manager of this instance's kind (executable or container)."""
        manager: TaskInstanceManager[Any] = self.instance._manager
        return manager

    @property
    def uuid(self) -> str:
        """The task instance's UUID (the same as :attr:`id`)."""
        return self.instance.uuid

    def _observe(self, fresh: TaskInstance) -> None:
        self.instance._update_from(fresh)
        self._set_state(map_state(fresh.state), fresh.state)

    def _take_fresh(self) -> bool:
        fresh, self._fresh = self._fresh, False
        return fresh

    def _fetch_state(self) -> tuple[JobState, str]:
        if not self._take_fresh():
            self.instance.sync()
        return map_state(self.instance.state), self.instance.state

    def _cancel(self) -> bool:
        self._observe(self.manager.terminate(self.uuid))
        self.terminate_requested = True
        return True

    def output(self) -> str | None:
        """The job's stdout and stderr, when the client knows the worker's log directory.

        saltant's API serves no logs; a worker writes them as
        ``<logs_dir>/<uuid>/<uuid>-stdout.txt`` and ``-stderr.txt``. The embedded
        server announces its ``logs_dir``, and the fixtures and the Robot library
        pass it on; for a real server, give ``logs_dir`` when its worker's log
        directory is reachable from here.
        """
        logs_dir = self.manager._client.logs_dir
        if logs_dir is None:
            return None
        parts = []
        for stream in ("stdout", "stderr"):
            path = logs_dir / self.uuid / f"{self.uuid}-{stream}.txt"
            with contextlib.suppress(OSError):
                text = path.read_text(encoding="utf-8", errors="replace").rstrip()
                if text:
                    parts.append(f"{stream}:\n{text}")
        return "\n".join(parts) or None

    def _build_result(self) -> JobResult:
        inst = self.instance
        error = None
        if self.state is JobState.FAILED:
            error = (
                "the task instance failed (a non-zero exit or the worker could not run it; "
                "saltant reports no exit code)"
            )
        elif self.state is JobState.CANCELLED:
            error = "the task instance was terminated"
        return JobResult(
            job_id=inst.uuid,
            backend=self.backend,
            state=self.state,
            native_state=inst.state,
            error=error,
            details={
                "name": inst.name,
                "user": inst.user,
                "task_type": inst.task_type,
                "task_queue": inst.task_queue,
                "arguments": inst.arguments,
                "datetime_created": format_datetime(inst.datetime_created),
                "datetime_finished": (
                    format_datetime(inst.datetime_finished) if inst.datetime_finished else None
                ),
                "terminate_requested": self.terminate_requested,
            },
        )

    @classmethod
    def refresh_many(cls, jobs: Sequence[SaltantJob]) -> None:
        """Refresh many jobs with one paged list request per server and kind.

        The list asks for the instances created since the oldest of these jobs
        (``datetime_created__gte``), newest first, in pages big enough for all of
        them; every job it returns is updated from it. Jobs it did not return
        (an ignored filter, more pages than :data:`SHARED_LIST_MAX_PAGES`) are
        fetched one by one, as are groups smaller than :data:`SHARED_LIST_MIN_JOBS`.
        """
        groups: dict[int, list[SaltantJob]] = {}
        for job in jobs:
            if not job.done and not job._take_fresh():
                groups.setdefault(id(job.manager), []).append(job)
        for group in groups.values():
            missing = _refresh_by_list(group) if len(group) >= SHARED_LIST_MIN_JOBS else group
            for job in missing:
                job.refresh()


def _refresh_by_list(group: list[SaltantJob]) -> list[SaltantJob]:
    """Update the jobs of ``group`` from one list; return those the list did not show."""
    manager = group[0].manager
    wanted = {job.uuid: job for job in group}
    oldest: dt.datetime = min(job.instance.datetime_created for job in group)
    filters = {"datetime_created__gte": oldest}
    page_size = max(SHARED_LIST_MIN_PAGE_SIZE, 2 * len(group))
    source = f"GET {manager._client.url(manager.path)}"
    for page in manager._client.pages(
        manager.path, encode_filters(filters), page_size, SHARED_LIST_MAX_PAGES
    ):
        for item in page:
            uuid = item.get("uuid") if isinstance(item, dict) else None
            job = wanted.pop(uuid, None) if isinstance(uuid, str) else None
            if job is not None:
                job._observe(manager.model.from_json(item, manager, source))
        if not wanted:
            break
    return list(wanted.values())
