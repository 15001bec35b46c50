"""A job's thread: wait in its queue, call the harpd, record packets, enforce the limits."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from jobharness.servers.harp.harpd_link import HarpdLink, JobCrash, LinkFailure

if TYPE_CHECKING:
    from jobharness.servers.harp.jobs import ActiveJob, JobManager

log = logging.getLogger(__name__)

TOTAL_EXPIRED = {"error": {"type": "timeout", "message": "maximum execution time exceeded"}}
PACKET_EXPIRED = {"error": {"type": "timeout", "message": "reading result timed out"}}


def run_job(manager: JobManager, job: ActiveJob) -> None:
    """Run ``job`` to its end; every way out stores a terminal object (or loses the job)."""
    queue = job.call.queue
    if queue is not None and not manager.queues.enter(
        queue.key, queue.concurrency, job.id, job.cancelled
    ):
        return
    try:
        if job.cancelled.is_set():
            return
        manager.store.started(job.id, int(time.time()))
        manager.finish(job, _call(manager, job))
    except JobCrash as exc:
        log.warning("job %s lost: harpd sent a line HarpCaller cannot decode (%s)", job.id, exc)
        manager.finish(job, {}, stored=False)
    except Exception as exc:
        log.exception("job %s failed", job.id)
        manager.finish(job, {"error": {"type": "unrecognized", "message": f"unknown error: {exc}"}})
    finally:
        if queue is not None:
            manager.queues.leave(queue.key)


def _call(manager: JobManager, job: ActiveJob) -> dict[str, Any]:
    """The terminal object of the call to harpd."""
    link = HarpdLink(job.entry, manager.ssl_context, manager.json_quirks)
    job.link = link
    if job.cancelled.is_set():
        link.abort()
    packet_limit, total_limit = manager.limits.for_call(job.call)
    started = time.monotonic()
    try:
        link.open(job.call.procedure, job.call.arguments)
        last = time.monotonic()
        while True:
            now = time.monotonic()
            packet_left, total_left = last + packet_limit - now, started + total_limit - now
            if total_left <= 0:
                return TOTAL_EXPIRED
            if packet_left <= 0:
                return PACKET_EXPIRED
            try:
                message = link.next_message(min(packet_left, total_left))
            except TimeoutError:
                continue
            if link.streaming and set(message) == {"stream"}:
                manager.add_packet(job, message["stream"])
                last = time.monotonic()
                continue
            return _terminal(message)
    except LinkFailure as failure:
        return {"error": failure.error}
    finally:
        link.close()


def _terminal(message: dict[str, Any]) -> dict[str, Any]:
    """The terminal object for harpd's last line."""
    if set(message) == {"result"}:
        return message
    if set(message) == {"exception"} and isinstance(message["exception"], dict):
        return message
    if message.get("harp") == 1 and set(message) == {"harp", "error"}:
        return {"error": LinkFailure.passthrough(message["error"]).error}
    raise LinkFailure("bad_protocol", "Harp protocol error")
