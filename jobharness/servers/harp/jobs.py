"""The job manager: submission, the jobs running in this process, results, cancel, faults.

A job is *active* while its thread runs. Finishing (storing the terminal
object and leaving the active set) happens under one lock, so a reader sees
either a running job or its stored result, never the gap between the two.
A stored job without a result that is not active was lost (e.g. by a
restart) and reads as ``missing_result``.
"""

from __future__ import annotations

import json
import logging
import math
import ssl
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jobharness.servers.harp.codec import encode_value
from jobharness.servers.harp.faults import Faults
from jobharness.servers.harp.harpd_link import HarpdLink
from jobharness.servers.harp.hosts import HostEntry
from jobharness.servers.harp.queues import QueueRegistry
from jobharness.servers.harp.request import CallRequest
from jobharness.servers.harp.runner import run_job
from jobharness.servers.harp.store import JobRecord, JobStore

log = logging.getLogger(__name__)

MISSING_RESULT = encode_value(
    {"error": {"type": "missing_result", "message": "job interrupted abruptly"}}
)
INVALID_JOBID = {"error": {"type": "invalid_jobid", "message": "no job with this ID"}}


def now() -> int:
    """Unix time in whole seconds."""
    return int(time.time())


@dataclass(frozen=True)
class Limits:
    """The dispatcher's limits (seconds); a request's ``timeout`` can only lower them."""

    default_timeout: float = 600.0
    max_exec_time: float = 600.0

    def for_call(self, call: CallRequest) -> tuple[float, float]:
        """(inter-packet timeout, total time): HarpCaller copies ``timeout`` into both."""
        asked = math.inf if call.timeout is None else float(call.timeout)
        return min(asked, self.default_timeout), min(asked, self.max_exec_time)


@dataclass
class ActiveJob:
    """A job whose thread runs in this process."""

    id: str
    call: CallRequest
    entry: HostEntry
    changed: threading.Condition = field(default_factory=threading.Condition)
    cancelled: threading.Event = field(default_factory=threading.Event)
    packets: int = 0
    outcome: str | None = None
    link: HarpdLink | None = None


class JobManager:
    """Every job of the dispatcher, stored and active."""

    def __init__(
        self,
        store: JobStore,
        hosts: Mapping[str, HostEntry],
        ssl_context: ssl.SSLContext,
        limits: Limits | None = None,
        faults: Faults | None = None,
        json_quirks: bool = True,
    ) -> None:
        self.store = store
        self.hosts = hosts
        self.ssl_context = ssl_context
        self.limits = limits or Limits()
        self.faults = faults or Faults()
        self.json_quirks = json_quirks
        self.queues = QueueRegistry()
        self._lock = threading.Lock()
        self._active: dict[str, ActiveJob] = {}
        self._spurious_sent: set[str] = set()

    # -- submission and the job's own thread -----------------------------------------------

    def submit(self, call: CallRequest) -> str:
        """Store a new job and start it; unknown hosts fail at once (never started)."""
        job_id = str(uuid.uuid4())
        submitted = now()
        record = JobRecord(
            job_id,
            call.host,
            call.procedure,
            encode_value(call.arguments),
            encode_value(call.info),
            submitted,
            None,
            None,
            None,
        )
        entry = self.hosts.get(call.host)
        with self._lock:
            self.store.create(record)
            if entry is None:
                unknown = {"error": {"type": "unknown_host", "message": "host unknown"}}
                self.store.finish(job_id, encode_value(unknown), submitted)
                return job_id
            job = ActiveJob(job_id, call, entry)
            self._active[job_id] = job
        threading.Thread(
            target=run_job, args=(self, job), name=f"job {job_id}", daemon=True
        ).start()
        return job_id

    def add_packet(self, job: ActiveJob, data: Any) -> None:
        """Store the job's next stream packet and wake its followers."""
        text = encode_value(data)
        with job.changed:
            if job.outcome is not None:
                return
            self.store.add_packet(job.id, job.packets, text)
            job.packets += 1
            job.changed.notify_all()

    def finish(self, job: ActiveJob, outcome: Mapping[str, Any], stored: bool = True) -> bool:
        """End the job with ``outcome`` (unless it already ended); ``stored=False`` loses it."""
        text = encode_value(outcome) if stored else MISSING_RESULT
        with self._lock, job.changed:
            if job.outcome is not None:
                return False
            if stored:
                self.store.finish(job.id, text, now())
            job.outcome = text
            self._active.pop(job.id, None)
            job.changed.notify_all()
        return True

    # -- operations ------------------------------------------------------------------------

    def lookup(self, job_id: str) -> tuple[JobRecord | None, ActiveJob | None]:
        """The stored record and, while it runs, the active job."""
        with self._lock:
            return self.store.get(job_id), self._active.get(job_id)

    def cancel(self, job_id: str) -> bool:
        """Cancel a queued or running job; ``False`` if it already ended or does not exist."""
        with self._lock:
            job = self._active.get(job_id)
        if job is None or not self.finish(job, {"cancelled": True}):
            return False
        job.cancelled.set()
        if job.link is not None:
            job.link.abort()
        self.queues.wake()
        return True

    def status(self, job_id: str) -> dict[str, Any]:
        """The ``get_status`` reply."""
        record = self.store.get(job_id)
        if record is None:
            return INVALID_JOBID
        return {
            "call": {
                "host": record.host,
                "procedure": record.procedure,
                "arguments": json.loads(record.arguments),
            },
            "info": json.loads(record.info),
            "time": {"submit": record.submit, "start": record.start, "end": record.end},
        }

    def take_spurious(self, job_id: str) -> bool:
        """Whether this terminal reply must be the fake one (``--fault missing-result-once``)."""
        if not self.faults.missing_result_once:
            return False
        with self._lock:
            if job_id in self._spurious_sent:
                return False
            self._spurious_sent.add(job_id)
            return True
