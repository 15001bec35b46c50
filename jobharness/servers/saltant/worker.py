"""The worker pool: threads that run published task instances as local processes.

Each job runs in its own process group (its own session). A terminate
signals the whole group (SIGTERM, then SIGKILL after a grace period), so a
job's children die with it; upstream only kills the job's own process.
State lives in SQLite: at start-up, jobs left ``running`` by a server that
stopped are marked ``failed`` (with a note in their stderr log) and
``published`` ones are run again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import threading
from dataclasses import dataclass

from jobharness.servers.saltant.clock import now_stored
from jobharness.servers.saltant.execution import (
    Launch,
    LaunchError,
    Layout,
    Runtimes,
    container_launch,
    executable_launch,
)
from jobharness.servers.saltant.kinds import (
    CREATED,
    EXECUTABLE,
    FAILED,
    KINDS,
    PUBLISHED,
    RUNNING,
    STAMPED_STATES,
    SUCCESSFUL,
    TASK_QUEUES,
    TERMINATED,
    TaskKind,
)
from jobharness.servers.saltant.store import Database, Row

log = logging.getLogger(__name__)
KILL_GRACE = 1.0
IDLE_POLL = 0.5


def set_state(db: Database, kind: TaskKind, uuid: str, state: str) -> None:
    """Store ``state``; ``successful`` and ``failed`` also stamp ``datetime_finished``."""
    values: dict[str, object] = {"state": state}
    if state in STAMPED_STATES:
        values["datetime_finished"] = now_stored()
    db.update(kind.instances, "uuid", uuid, values)


def kill_group(pid: int, grace: float = KILL_GRACE, after: list[str] | None = None) -> None:
    """SIGTERM the process group ``pid`` now and SIGKILL whatever is left after ``grace``."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGTERM)

    def finish() -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
        if after:
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                subprocess.run(after, capture_output=True, timeout=10, check=False)

    timer = threading.Timer(grace, finish)
    timer.daemon = True
    timer.start()


@dataclass
class _Job:
    """A claimed job while it is on a worker thread."""

    kind: TaskKind
    uuid: str
    process: subprocess.Popen[bytes] | None = None
    launch: Launch | None = None
    revoked: bool = False
    killed_by_stop: bool = False


class WorkerPool:
    """``size`` threads consuming the published instances of every active queue.

    With ``published_while_running`` a job stays ``published`` while it runs,
    as on a real server whose ``published`` update lands after the worker's
    ``running`` one (a race upstream; here on every job).
    """

    def __init__(
        self,
        db: Database,
        layout: Layout,
        size: int,
        runtimes: Runtimes,
        published_while_running: bool = False,
    ) -> None:
        self.db = db
        self.layout = layout
        self.size = size
        self.runtimes = runtimes
        self.published_while_running = published_while_running
        self._wake = threading.Condition()
        self._generation = 0
        self._stopping = threading.Event()
        self._jobs: dict[str, _Job] = {}
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Recover what a previous run left, then start the worker threads."""
        self.recover()
        for number in range(self.size):
            thread = threading.Thread(
                target=self._loop, name=f"saltant-worker-{number}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def recover(self) -> None:
        """Fail the jobs a stopped server left running; publish the ones it left created."""
        for kind in KINDS:
            with self.db.transaction():
                stale = self.db.query(
                    f"SELECT uuid FROM {kind.instances} WHERE state = ?", (RUNNING,)
                )
                for row in stale:
                    set_state(self.db, kind, row["uuid"], FAILED)
                    self.layout.note(
                        row["uuid"], "the server stopped while this job ran; marked failed"
                    )
                self.db.update(kind.instances, "state", CREATED, {"state": PUBLISHED})

    def stop(self, timeout: float = 5.0) -> None:
        """Stop taking jobs, kill the running ones' process groups and wait for the threads."""
        self._stopping.set()
        self.notify()
        with self._lock:
            jobs = list(self._jobs.values())
            for job in jobs:
                job.killed_by_stop = True
        for job in jobs:
            if job.process is not None:
                kill_group(job.process.pid, 0.5, job.launch.after_kill if job.launch else None)
        for thread in self._threads:
            thread.join(timeout)

    def notify(self) -> None:
        """Wake idle workers: a job was published or a queue changed."""
        with self._wake:
            self._generation += 1
            self._wake.notify_all()

    # -- terminate --------------------------------------------------------------------------

    def terminate(self, kind: TaskKind, uuid: str) -> None:
        """Terminate job ``uuid``: a running one by killing its group, a queued one at once.

        A job on a worker is running whatever its stored state says.
        """
        with self._lock:
            job = self._jobs.get(uuid)
            if job is not None:
                job.revoked = True
                process, launch = job.process, job.launch
        if job is not None:
            if process is not None:
                kill_group(process.pid, after=launch.after_kill if launch else None)
            return
        with self.db.transaction():
            row = self.db.get(kind.instances, "uuid", uuid)
            if row is not None and row["state"] in (CREATED, PUBLISHED):
                set_state(self.db, kind, uuid, TERMINATED)

    # -- the worker loop -------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stopping.is_set():
            generation = self._generation
            try:
                job = self._claim()
            except Exception:  # a worker must survive a bad row; the job stays where it was
                log.exception("claiming a job failed")
                job = None
            if job is None:
                with self._wake:
                    if self._generation == generation and not self._stopping.is_set():
                        self._wake.wait(IDLE_POLL)
                continue
            try:
                self._run(job)
            except Exception:
                log.exception("running job %s failed", job.uuid)
                self._finish(job, FAILED)

    def _claim(self) -> _Job | None:
        """Take the oldest published job of an active queue and mark it running."""
        with self.db.transaction():
            with self._lock:
                taken = list(self._jobs)
            not_taken = f" AND i.uuid NOT IN ({', '.join('?' * len(taken))})" if taken else ""
            candidates: list[tuple[str, TaskKind, Row]] = []
            for kind in KINDS:
                rows = self.db.query(
                    f"SELECT i.uuid, i.datetime_created FROM {kind.instances} i "
                    f"JOIN {TASK_QUEUES} q ON q.id = i.task_queue "
                    f"WHERE i.state = ? AND q.active = 1{not_taken} ORDER BY i.seq LIMIT 1",
                    (PUBLISHED, *taken),
                )
                candidates += [(row["datetime_created"], kind, row) for row in rows]
            if not candidates or self._stopping.is_set():
                return None
            _, kind, row = min(candidates, key=lambda c: c[0])
            if not self.published_while_running:
                set_state(self.db, kind, row["uuid"], RUNNING)
            job = _Job(kind, row["uuid"])
            with self._lock:
                self._jobs[job.uuid] = job
            return job

    def _prepare(self, job: _Job) -> Launch:
        instance = self.db.get(job.kind.instances, "uuid", job.uuid)
        task_type = instance and self.db.get(job.kind.types, "id", instance["task_type"])
        if not instance or not task_type:
            raise LaunchError("the task instance or its task type is gone")
        if job.kind == EXECUTABLE:
            return executable_launch(job.uuid, task_type, instance["arguments"], self.layout)
        return container_launch(
            job.uuid, task_type, instance["arguments"], self.layout, self.runtimes
        )

    def _run(self, job: _Job) -> None:
        layout = self.layout
        layout.log_dir(job.uuid).mkdir(parents=True, exist_ok=True)
        try:
            launch = self._prepare(job)
        except LaunchError as exc:
            layout.note(job.uuid, str(exc))
            self._finish(job, FAILED)
            return
        try:
            with (
                layout.stdout(job.uuid).open("wb") as out,
                layout.stderr(job.uuid).open("ab") as err,
            ):
                with self._lock:
                    if job.revoked or job.killed_by_stop:
                        process = None
                    else:
                        process = subprocess.Popen(
                            launch.argv,
                            stdin=subprocess.DEVNULL,
                            stdout=out,
                            stderr=err,
                            env=launch.env,
                            start_new_session=True,
                        )
                        job.process, job.launch = process, launch
                code = process.wait() if process is not None else -signal.SIGTERM
        except OSError as exc:
            layout.note(job.uuid, f"cannot run {launch.argv[0]!r}: {exc}")
            code = 127
        finally:
            for path in launch.temp_files:
                path.unlink(missing_ok=True)
        if job.revoked:
            self._finish(job, TERMINATED)
        elif job.killed_by_stop:
            layout.note(job.uuid, "the server stopped while this job ran; it was killed")
            self._finish(job, FAILED)
        else:
            self._finish(job, SUCCESSFUL if code == 0 else FAILED)

    def _finish(self, job: _Job, state: str) -> None:
        with self._lock:
            self._jobs.pop(job.uuid, None)
        with contextlib.suppress(Exception):
            set_state(self.db, job.kind, job.uuid, state)
