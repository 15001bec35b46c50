"""Reading a densefog ``job`` table directly, from a SQLite file or a MySQL/MariaDB database.

Every read is one ``SELECT ... WHERE id IN (...)`` in autocommit mode, so each
poll sees the rows as they are now (a connection left inside a REPEATABLE READ
transaction would keep seeing its first snapshot). Each read ends by its
deadline (the wait's, or ``request_timeout``): the MySQL socket is cut by the
transport's guard when it passes. Lost connections are retried (a read may be
repeated) by the one retry policy. The DSN's password never reaches a message.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jobharness.backends.densefog import protocol
from jobharness.backends.densefog.dsn import Dsn, parse_dsn
from jobharness.backends.densefog.errors import JobTableError, JobTableUnreachable
from jobharness.deadline import Deadline, describe_limit, request_deadline
from jobharness.errors import ConnectionLost, ProtocolError, RequestTimedOut, TransportError
from jobharness.redaction import Redactor
from jobharness.resources import Closing
from jobharness.transport import guard
from jobharness.transport.retry import RetryPolicy

if TYPE_CHECKING:
    import pymysql

DEFAULT_REQUEST_TIMEOUT = 30.0
MIN_DRIVER_TIMEOUT = 0.01


class JobTable(Closing):
    """The ``job`` table of a densefog service, read directly.

    ``dsn`` is a DSN text or a :class:`~.dsn.Dsn`. One connection is kept and
    used by one thread at a time; :meth:`fetch` is one query.
    """

    def __init__(
        self,
        dsn: str | Dsn,
        *,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.dsn = dsn if isinstance(dsn, Dsn) else parse_dsn(dsn)
        self.request_timeout = request_timeout
        self.retry = retry or RetryPolicy()
        self.redact = Redactor([self.dsn.password])
        self._lock = threading.Lock()
        self._sqlite: sqlite3.Connection | None = None
        self._mysql: pymysql.connections.Connection[Any] | None = None

    @property
    def where(self) -> str:
        """How messages name the table: ``job table at <DSN, password masked>``."""
        return f"job table at {self.dsn.shown()}"

    def fetch(self, job_ids: Sequence[str]) -> dict[str, protocol.JobRecord]:
        """The rows of ``job_ids`` that exist, by id: one query."""
        if not job_ids:
            return {}
        sql = protocol.select_jobs_sql(len(job_ids), self.dsn.dialect)
        deadline = request_deadline(self.request_timeout)
        attempts = self.retry.attempts(deadline, idempotent=True)
        for _ in attempts:
            try:
                with self._lock:
                    rows = self._query(sql, list(job_ids), deadline)
                break
            except TransportError as exc:
                deadline.sleep(attempts.failed(exc))
        found: dict[str, protocol.JobRecord] = {}
        for row in rows:
            try:
                record = protocol.record_from_row(row)
            except ValueError as exc:
                raise ProtocolError(f"{self.where}: a job row is malformed: {exc}") from None
            found[record.id] = record
        return found

    def _query(self, sql: str, args: list[str], deadline: Deadline) -> list[dict[str, Any]]:
        if self.dsn.dialect == "sqlite":
            return self._query_sqlite(sql, args, deadline)
        return self._query_mysql(sql, args, deadline)

    # -- SQLite ---------------------------------------------------------------------------

    def _query_sqlite(self, sql: str, args: list[str], deadline: Deadline) -> list[dict[str, Any]]:
        path = Path(self.dsn.path or "")
        if self._sqlite is None:
            if not path.is_file():
                raise JobTableUnreachable(f"{self.where}: no such database file")
            connection = sqlite3.connect(
                str(path), isolation_level=None, check_same_thread=False, timeout=0
            )
            connection.row_factory = sqlite3.Row
            connection.execute("PRAGMA query_only = 1")
            self._sqlite = connection
        wait_ms = max(1, int(deadline.remaining() * 1000))
        try:
            self._sqlite.execute(f"PRAGMA busy_timeout = {wait_ms}")
            return [dict(row) for row in self._sqlite.execute(sql, args).fetchall()]
        except sqlite3.OperationalError as exc:
            if deadline.expired:
                raise self._timed_out(deadline) from None
            raise JobTableError(f"{self.where}: {exc}") from None
        except sqlite3.Error as exc:
            raise JobTableError(f"{self.where}: {exc}") from None

    # -- MySQL / MariaDB ------------------------------------------------------------------

    def _connect_mysql(self, deadline: Deadline) -> pymysql.connections.Connection[Any]:
        import pymysql
        import pymysql.cursors

        left = max(MIN_DRIVER_TIMEOUT, deadline.remaining())
        dsn = self.dsn
        try:
            return pymysql.connect(
                host=dsn.host,
                port=dsn.port,
                user=dsn.user or "",
                password=dsn.password or "",
                database=dsn.database,
                unix_socket=dsn.unix_socket,
                autocommit=True,
                charset="utf8mb4",
                connect_timeout=max(1, int(left + 0.999)),
                read_timeout=left,
                write_timeout=left,
                cursorclass=pymysql.cursors.DictCursor,
            )
        except pymysql.err.OperationalError as exc:
            if deadline.expired:
                raise self._timed_out(deadline) from None
            code = exc.args[0] if exc.args else None
            text = self.redact(str(exc.args[1] if len(exc.args) > 1 else exc))
            if code in (2003, 2002, 2006, 2013):
                raise JobTableUnreachable(f"{self.where}: cannot connect: {text}") from None
            raise JobTableError(f"{self.where}: {text}") from None
        except (pymysql.err.Error, OSError) as exc:
            text = self.redact(str(exc))
            raise JobTableUnreachable(f"{self.where}: cannot connect: {text}") from None

    def _query_mysql(self, sql: str, args: list[str], deadline: Deadline) -> list[dict[str, Any]]:
        import pymysql

        if self._mysql is None:
            self._mysql = self._connect_mysql(deadline)
        connection = self._mysql
        left = max(MIN_DRIVER_TIMEOUT, deadline.remaining())
        # PyMySQL applies these before each packet it reads or writes
        connection._read_timeout = connection._write_timeout = left  # type: ignore[attr-defined]
        with guard.SocketGuard(deadline) as cut:
            cut.attach(getattr(connection, "_sock", None))
            try:
                with connection.cursor() as cursor:
                    cursor.execute(sql, args)
                    rows = list(cursor.fetchall())
            except (pymysql.err.OperationalError, pymysql.err.InterfaceError, OSError) as exc:
                self._drop_mysql()
                if cut.fired or deadline.expired:
                    raise self._timed_out(deadline) from None
                code = exc.args[0] if isinstance(exc, pymysql.err.Error) and exc.args else None
                if code in (2006, 2013, 2014, 0) or not isinstance(exc, pymysql.err.Error):
                    raise ConnectionLost(f"{self.where}: {self.redact(str(exc))}") from None
                raise JobTableError(f"{self.where}: {self.redact(str(exc))}") from None
            except pymysql.err.Error as exc:
                raise JobTableError(f"{self.where}: {self.redact(str(exc))}") from None
        return [dict(row) for row in rows]

    def _drop_mysql(self) -> None:
        connection, self._mysql = self._mysql, None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()

    def _timed_out(self, deadline: Deadline) -> RequestTimedOut:
        return RequestTimedOut(f"{self.where}: no answer within {describe_limit(deadline)}")

    # -- lifetime -------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection (a later read opens a new one)."""
        with self._lock:
            if self._sqlite is not None:
                self._sqlite.close()
                self._sqlite = None
            self._drop_mysql()

    def __repr__(self) -> str:
        return f"<JobTable {self.dsn.shown()}>"
