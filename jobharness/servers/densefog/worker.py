"""The worker: runs the ``job`` table with densefog's semantics, on threads instead of greenlets.

* At start, every ``running`` row is set back to ``pending`` (``trys`` kept),
  also rows another worker is running: one worker per database.
* Every ``tick`` seconds (densefog: 2) it picks the ``pending`` rows due now,
  newest first, takes ``pick_size`` of them and runs each on one of
  ``exec_size`` threads (the pick waits while they are all busy).
* A run locks the row, skips it unless it is still ``pending``, marks it
  ``running``, and calls the job's function with ``exec_timeout`` seconds.
* Success: ``finished``, ``trys + 1``, ``result`` the JSON of the return value,
  params redacted. Failure or timeout (error text ``"<n> seconds"``): ``pending``
  again with ``run_at = now + try_period * attempt`` while attempts are left,
  else ``error`` with the exception's text, params redacted.
* As upstream, an unknown job action, params that are not JSON, or a return
  value that is not JSON-serialisable leave the row ``running`` for good (with
  a traceback in the log); ``fail_broken_jobs`` ends such a job in ``error``.

A thread cannot be killed: at its timeout an attempt is recorded as failed
and its thread abandoned; the ``time_sleep`` the function is given raises
once the attempt's time is up, so a function that sleeps through it stops.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import logging
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from jobharness.backends.densefog import protocol
from jobharness.servers.densefog.store import Database

log = logging.getLogger("jobharness.servers.densefog.worker")

JobFunction = Callable[..., Any]
Lookup = Callable[[str], "JobFunction | None"]


class AttemptTimeout(Exception):
    """An attempt ran out of its ``exec_timeout`` (its text is ``"<n> seconds"``, as gevent's)."""


@dataclass
class WorkerOptions:
    """The worker's knobs (densefog's ``create_worker`` arguments and its tick)."""

    pick_size: int = 10
    exec_size: int = 10
    exec_timeout: float = protocol.DEFAULT_EXEC_TIMEOUT
    tick: float = protocol.WORKER_TICK
    fail_broken_jobs: bool = False


class BrokenJob(Exception):
    """A job upstream's worker would leave ``running`` for good."""


class Worker:
    """Picks and runs the jobs of ``db``; ``lookup`` finds a job action's function."""

    def __init__(self, db: Database, lookup: Lookup, options: WorkerOptions) -> None:
        self.db = db
        self.lookup = lookup
        self.options = options
        self._stopping = threading.Event()
        self._slots = threading.BoundedSemaphore(options.exec_size)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Reset ``running`` rows to ``pending``, then pick every tick on a thread."""
        reset = self.db.execute(
            f"UPDATE {protocol.JOB_TABLE} SET status = ? WHERE status = ?",
            [protocol.JOB_PENDING, protocol.JOB_RUNNING],
        )
        if reset:
            log.warning("reset %d running job(s) to pending at start", reset)
        self._thread = threading.Thread(target=self._loop, name="densefog-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop picking; running jobs are abandoned and their rows stay ``running``."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                picked = self.pick()
            except Exception:  # the loop survives a database hiccup, as upstream's
                log.exception("picking jobs failed")
                picked = []
            for job_id in picked:
                while not self._slots.acquire(timeout=0.1):
                    if self._stopping.is_set():
                        return
                if self._stopping.is_set():
                    self._slots.release()
                    return
                threading.Thread(
                    target=self._run_slot, args=(job_id,), name=f"densefog-{job_id}", daemon=True
                ).start()
            self._stopping.wait(self.options.tick)

    def pick(self) -> list[str]:
        """The ids of the due pending jobs, newest first, at most ``pick_size``."""
        rows = self.db.query(protocol.pick_sql("sqlite"), [protocol.JOB_PENDING, protocol.utcnow()])
        return [row["id"] for row in rows[: self.options.pick_size]]

    def _run_slot(self, job_id: str) -> None:
        try:
            self.run_job(job_id)
        except Exception:
            log.exception("job %s broke the worker thread; its row may stay running", job_id)
        finally:
            self.db.close_thread()  # every job has threads of its own: close their connections
            self._slots.release()

    def _claim(self, job_id: str) -> dict[str, Any] | None:
        with self.db.transaction():
            row = self.db.one(
                f"SELECT * FROM {protocol.JOB_TABLE} WHERE id = ?{self.db.for_update}", [job_id]
            )
            if row is None or row["status"] != protocol.JOB_PENDING:
                return None
            self.db.execute(
                f"UPDATE {protocol.JOB_TABLE} SET status = ?, updated = ? WHERE id = ?",
                [protocol.JOB_RUNNING, protocol.utcnow(), job_id],
            )
        return self.db.one(f"SELECT * FROM {protocol.JOB_TABLE} WHERE id = ?", [job_id])

    def run_job(self, job_id: str) -> None:
        """Run one attempt of ``job_id`` if it is still pending."""
        row = self._claim(job_id)
        if row is None:
            return
        trys, try_max = int(row["trys"]), int(row["try_max"])
        last_chance = trys + 1 >= protocol.attempts_allowed(try_max)
        try:
            function = self.lookup(row["action"])
            if function is None:
                raise BrokenJob(f"no function for job action {row['action']!r}")
            try:
                params = json.loads(row["params"])
            except ValueError as exc:
                raise BrokenJob(f"params are not JSON: {exc}") from exc
        except BrokenJob as exc:
            self._broken(row, exc)
            return
        try:
            value = self._attempt(function, params, last_chance)
        except Exception as exc:
            self._failed(row, params, exc, last_chance)
            return
        try:
            result = json.dumps(value)
        except (TypeError, ValueError) as exc:
            self._broken(row, BrokenJob(f"the return value is not JSON-serialisable: {exc}"))
            return
        self._update(
            job_id,
            status=protocol.JOB_FINISHED,
            trys=trys + 1,
            result=result,
            error="",
            params=json.dumps(protocol.redacted_params(params)),
        )

    def _attempt(self, function: JobFunction, params: Any, last_chance: bool) -> Any:
        limit = self.options.exec_timeout
        ends = time.monotonic() + limit

        def time_sleep(seconds: float) -> None:
            left = ends - time.monotonic()
            time.sleep(max(0.0, min(seconds, left)))
            if seconds >= left:
                raise AttemptTimeout(f"{limit:g} seconds")

        kwargs: dict[str, Any] = {"time_sleep": time_sleep, "is_last_chance": last_chance}
        if "db" in inspect.signature(function).parameters:
            kwargs["db"] = self.db
        future: Future[Any] = Future()

        def call() -> None:
            try:
                future.set_result(function(params, **kwargs))
            except BaseException as exc:
                future.set_exception(exc)
            finally:
                self.db.close_thread()

        threading.Thread(target=call, name="densefog-attempt", daemon=True).start()
        try:
            return future.result(timeout=limit)
        except TimeoutError:
            raise AttemptTimeout(f"{limit:g} seconds") from None

    def _failed(self, row: dict[str, Any], params: Any, exc: Exception, last_chance: bool) -> None:
        attempt = int(row["trys"]) + 1
        if last_chance:
            log.info("job %s failed for good after %d attempt(s): %s", row["id"], attempt, exc)
            self._update(
                row["id"],
                status=protocol.JOB_ERROR,
                trys=attempt,
                error=str(exc),
                params=json.dumps(protocol.redacted_params(params)),
            )
            return
        delay = protocol.retry_delay(int(row["try_period"]), attempt)
        log.info("job %s attempt %d failed (%s); again in %g s", row["id"], attempt, exc, delay)
        self._update(
            row["id"],
            status=protocol.JOB_PENDING,
            trys=attempt,
            run_at=protocol.utcnow() + dt.timedelta(seconds=delay),
        )

    def _broken(self, row: dict[str, Any], exc: BrokenJob) -> None:
        if not self.options.fail_broken_jobs:
            log.error(
                "job %s stays running (as upstream): %s\n%s",
                row["id"],
                exc,
                "".join(traceback.format_exception(exc)),
            )
            return
        self._update(
            row["id"], status=protocol.JOB_ERROR, trys=int(row["trys"]) + 1, error=str(exc)
        )

    def _update(self, job_id: str, **values: Any) -> None:
        values["updated"] = protocol.utcnow()
        assignments = ", ".join(f"{column} = ?" for column in values)
        self.db.execute(
            f"UPDATE {protocol.JOB_TABLE} SET {assignments} WHERE id = ?",
            [*values.values(), job_id],
        )
