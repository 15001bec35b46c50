"""The worker's densefog semantics: the tick, retries, newest first, reset at start, broken jobs."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pytest

from jobharness.backends.densefog import protocol
from jobharness.backends.densefog.dsn import parse_dsn
from jobharness.backends.densefog.target import DENSEFOG_TARGET, densefog_client
from jobharness.jobs import JobState
from jobharness.servers.densefog.jobs import JobStore
from jobharness.servers.densefog.store import Database
from jobharness.servers.densefog.worker import Worker, WorkerOptions
from jobharness.targets import Target
from jobharness.waiting import wait_for
from pytest_plugin._common import open_target

from ..helpers import APP


@pytest.fixture
def store(tmp_path: Path) -> JobStore:
    """A job table in a SQLite file of its own."""
    jobs = JobStore(Database(parse_dsn(str(tmp_path / "jobs.db"))), 600, 3)
    jobs.setup()
    return jobs


def test_the_real_tick_picks_once_every_two_seconds(pytestconfig: pytest.Config) -> None:
    """With densefog's own 2 s tick and one job per pick, the second job waits a tick."""
    with (
        open_target(pytestconfig, DENSEFOG_TARGET, app=str(APP), pick_size=1) as target,
        densefog_client(target) as client,
    ):
        assert target.info["worker_tick"] == protocol.WORKER_TICK
        started = time.monotonic()
        jobs = [client.submit("RunJob", {"job": "Echo"}) for _ in range(2)]
        wait_for(jobs, 30)
        assert time.monotonic() - started >= 1.9
        assert all(job.result.ok for job in jobs)


def test_picks_are_newest_first_and_only_due_ones(store: JobStore) -> None:
    now = protocol.utcnow()
    ids = [store.create("Echo", {}) for _ in range(3)]
    for age, job_id in enumerate(ids):  # the first made is the oldest
        when = now - dt.timedelta(seconds=10 * (3 - age))
        store.db.execute("UPDATE job SET created = ? WHERE id = ?", [when, job_id])
    later = store.create("Echo", {}, run_at=now + dt.timedelta(hours=1))
    worker = Worker(store.db, lambda action: None, WorkerOptions(pick_size=2))
    assert worker.pick() == [ids[2], ids[1]]
    assert later not in worker.pick()


def test_start_resets_running_rows_and_keeps_trys(store: JobStore) -> None:
    job_id = store.create("Echo", {})
    # due in an hour: the worker's first pick (which may come before stop()) leaves it alone
    later = protocol.utcnow() + dt.timedelta(hours=1)
    store.db.execute(
        "UPDATE job SET status = 'running', trys = 1, run_at = ? WHERE id = ?", [later, job_id]
    )
    worker = Worker(store.db, lambda action: None, WorkerOptions(tick=60))
    worker.start()
    worker.stop()
    row = store.get(job_id)
    assert row is not None and (row["status"], row["trys"]) == ("pending", 1)


def test_linear_backoff_and_the_final_error(store: JobStore) -> None:
    def always_fail(params: object, time_sleep: object, is_last_chance: bool) -> None:
        raise RuntimeError(f"boom last={is_last_chance}")

    worker = Worker(store.db, lambda action: always_fail, WorkerOptions())
    job_id = store.create("AlwaysFail", {"password": "pw", "user_data": "x"}, try_period=5)
    for attempt in (1, 2):
        before = protocol.utcnow()
        worker.run_job(job_id)
        row = store.get(job_id)
        assert row is not None and (row["status"], row["trys"], row["error"]) == (
            "pending",
            attempt,
            "",
        )
        due = protocol.parse_time(row["run_at"])
        assert due is not None and due >= before + dt.timedelta(seconds=5 * attempt - 1)
        store.db.execute("UPDATE job SET run_at = ? WHERE id = ?", [before, job_id])
    worker.run_job(job_id)
    row = store.get(job_id)
    assert row is not None and (row["status"], row["trys"]) == ("error", 3)
    assert row["error"] == "boom last=True"
    assert json.loads(row["params"]) == {"password": "********", "user_data": "user_data"}


def test_an_attempt_past_its_exec_timeout_fails_with_densefogs_text(store: JobStore) -> None:
    def slow(params: object, time_sleep: object, is_last_chance: bool) -> None:
        time_sleep(30)  # type: ignore[operator]

    worker = Worker(store.db, lambda action: slow, WorkerOptions(exec_timeout=0.2))
    job_id = store.create("Slow", {}, try_max=1)
    worker.run_job(job_id)
    row = store.get(job_id)
    assert row is not None and (row["status"], row["error"]) == ("error", "0.2 seconds")


@pytest.mark.parametrize("fail_broken", [False, True])
def test_broken_jobs_stay_running_unless_asked(store: JobStore, fail_broken: bool) -> None:
    worker = Worker(store.db, lambda action: None, WorkerOptions(fail_broken_jobs=fail_broken))
    job_id = store.create("NoSuchAction", {})
    worker.run_job(job_id)
    row = store.get(job_id)
    assert row is not None
    if fail_broken:
        assert row["status"] == "error" and "no function for job action" in row["error"]
    else:
        assert (row["status"], row["trys"], row["error"]) == ("running", 0, "")


def test_a_job_already_taken_is_skipped(store: JobStore) -> None:
    calls: list[object] = []
    worker = Worker(store.db, lambda action: lambda *a, **k: calls.append(a), WorkerOptions())
    job_id = store.create("Echo", {})
    store.db.execute("UPDATE job SET status = 'running' WHERE id = ?", [job_id])
    worker.run_job(job_id)
    assert calls == []


def test_retries_through_the_service(densefog_server: object) -> None:
    with densefog_client(densefog_server) as client:  # type: ignore[arg-type]
        job = client.submit("RunJob", {"job": "AlwaysFail", "tryMax": 2, "tryPeriod": 1})
        result = job.wait(30)
    assert result.state is JobState.FAILED and job.trys == 2


def test_jobs_do_not_leave_database_connections_behind(mariadb_server: Target) -> None:
    """Every job runs on threads of its own; their connections close with them."""
    import pymysql

    dsn = parse_dsn(str(mariadb_server.info["job_table"]))

    def connected() -> int:
        with (
            pymysql.connect(
                host=dsn.host, port=dsn.port, user=dsn.user, password=dsn.password or ""
            ) as admin,
            admin.cursor() as cursor,
        ):
            cursor.execute("SHOW STATUS LIKE 'Threads_connected'")
            return int(cursor.fetchone()[1])

    def jobs(count: int) -> None:
        for _ in range(count):
            made = client.create_resources("instance", count=1, name="leak-check")
            made.resources.wait(30)
            assert made.job is not None
            made.job.wait(30)

    with densefog_client(mariadb_server) as client:
        jobs(12)  # the service's request threads open their (lasting) connections
        before = connected()
        jobs(12)
        after = connected()
    assert after - before < 6, f"{after - before} more connections after 12 more jobs"
