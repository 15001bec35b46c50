"""The job table read directly: DSNs, passwords never shown, fresh rows, deadlines."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from jobharness.backends.densefog import JobTable, JobTableUnreachable, parse_dsn
from jobharness.backends.densefog.dsn import Dsn
from jobharness.deadline import Deadline, bounded
from jobharness.errors import ConfigurationError, RequestTimedOut, TransportError
from jobharness.targets import Target
from jobharness.transport.retry import RetryPolicy
from utests.timing import assert_ended_by

PASSWORD = "pw-Xq81/@:z"


def test_dsn_forms(tmp_path: Path) -> None:
    sqlite = parse_dsn(f"sqlite:///{tmp_path}/a.db")
    assert (sqlite.dialect, sqlite.path) == ("sqlite", f"{tmp_path}/a.db")
    assert parse_dsn(str(tmp_path / "b.sqlite3")).path == str(tmp_path / "b.sqlite3")
    mysql = parse_dsn("mariadb://df:p%40ss@db.example:3307/jobs")
    assert (mysql.dialect, mysql.host, mysql.port, mysql.user) == (
        "mysql",
        "db.example",
        3307,
        "df",
    )
    assert (mysql.password, mysql.database) == ("p@ss", "jobs")
    sock = parse_dsn("mysql+pymysql://root@localhost/jobs?unix_socket=/run/m.sock")
    assert sock.unix_socket == "/run/m.sock" and sock.password is None
    assert parse_dsn(mysql.text) == mysql
    for bad in ("", "postgres://h/db", "mysql://h:port/db", "mysql://u@h/"):
        with pytest.raises(ConfigurationError):
            parse_dsn(bad)


def test_the_password_is_never_shown() -> None:
    dsn = Dsn("mysql", host="127.0.0.1", port=1, user="df", password=PASSWORD, database="jobs")
    for text in (dsn.shown(), repr(dsn), repr(JobTable(dsn))):
        assert PASSWORD not in text and "df:***@" in text


def test_an_unreachable_database_is_named_without_the_password() -> None:
    dsn = Dsn("mysql", host="127.0.0.1", port=9, user="df", password=PASSWORD, database="jobs")
    table = JobTable(dsn, request_timeout=2)
    with pytest.raises(JobTableUnreachable) as caught:
        table.fetch(["job-1"])
    assert "cannot connect" in str(caught.value) and PASSWORD not in str(caught.value)


def test_a_missing_sqlite_file_is_unreachable(tmp_path: Path) -> None:
    with pytest.raises(JobTableUnreachable, match="no such database file"):
        JobTable(f"sqlite:///{tmp_path}/none.db").fetch(["job-1"])


def test_each_poll_sees_fresh_rows(service: Target) -> None:
    """One connection, reused: autocommit, so no REPEATABLE READ snapshot hides a change."""
    from jobharness.backends.densefog.target import densefog_client

    with densefog_client(service) as client:
        assert client.job_table is not None
        first = client.submit("RunJob", {"job": "Sleepy", "params": {"seconds": 0.3}})
        assert client.job_table.fetch([first.id])[first.id].status in ("pending", "running")
        assert first.wait(30).ok
        assert client.job_table.fetch([first.id])[first.id].status == "finished"


def test_a_silent_database_does_not_outlive_the_wait() -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never answers
        port = silent.getsockname()[1]
        dsn = Dsn("mysql", host="127.0.0.1", port=port, user="df", password=PASSWORD, database="j")
        table = JobTable(dsn, request_timeout=30, retry=RetryPolicy(retries=0))
        started = time.monotonic()
        with bounded(Deadline(1.0, "wait")), pytest.raises(RequestTimedOut) as caught:
            table.fetch(["job-1"])
    assert_ended_by(time.monotonic() - started, 1.0)
    assert PASSWORD not in str(caught.value) and "the wait's 1 s" in str(caught.value)


def test_a_locked_table_does_not_outlive_the_wait(mariadb_server: Target) -> None:
    """A query blocked by another session's lock is cut at the wait's deadline."""
    import pymysql

    dsn = parse_dsn(str(mariadb_server.info["job_table"]))
    table = JobTable(dsn, request_timeout=30, retry=RetryPolicy(retries=0))
    table.fetch(["job-warm"])
    locker = pymysql.connect(
        host=dsn.host,
        port=dsn.port,
        user=dsn.user,
        password=dsn.password or "",
        database=dsn.database,
    )
    try:
        with locker.cursor() as cursor:
            cursor.execute("LOCK TABLES job WRITE")
        started = time.monotonic()
        with bounded(Deadline(1.0, "wait")), pytest.raises(TransportError) as caught:
            table.fetch(["job-1"])
        assert_ended_by(time.monotonic() - started, 1.0)
        assert isinstance(caught.value, RequestTimedOut), caught.value
    finally:
        locker.close()
        table.close()
