"""The embedded service's database: SQLite (one file) or MySQL/MariaDB through PyMySQL.

SQL is written once with ``?`` markers and sent with the driver's own.
Each thread has its own connection in autocommit mode; :meth:`Database.transaction`
runs a block in one transaction (``BEGIN IMMEDIATE`` on SQLite, so a row read
for update is locked against the other writers; ``SELECT ... FOR UPDATE`` on
MySQL, see :attr:`Database.for_update`). Datetimes are stored naive UTC with
whole seconds, as densefog's ``DATETIME`` columns keep them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from jobharness.backends.densefog import protocol
from jobharness.backends.densefog.dsn import Dsn

Row = dict[str, Any]
SQLITE_BUSY_MS = 10_000


class Database:
    """One database for the API's request threads and the worker's job threads."""

    def __init__(self, dsn: Dsn) -> None:
        self.dsn = dsn
        self.dialect: protocol.Dialect = dsn.dialect
        self._local = threading.local()
        self._all: list[Any] = []
        self._lock = threading.Lock()
        if self.dialect == "sqlite":
            Path(dsn.path or "").parent.mkdir(parents=True, exist_ok=True)
            with self._connection() as connection:
                connection.execute("PRAGMA journal_mode = WAL")

    @property
    def for_update(self) -> str:
        """What a row-locking read ends with (SQLite locks the whole database instead)."""
        return " FOR UPDATE" if self.dialect == "mysql" else ""

    def _open(self) -> Any:
        if self.dialect == "sqlite":
            connection = sqlite3.connect(
                self.dsn.path or "",
                isolation_level=None,
                check_same_thread=False,
                timeout=SQLITE_BUSY_MS / 1000,
            )
            connection.row_factory = sqlite3.Row
            return connection
        import pymysql
        import pymysql.cursors

        dsn = self.dsn
        return pymysql.connect(
            host=dsn.host,
            port=dsn.port,
            user=dsn.user or "",
            password=dsn.password or "",
            database=dsn.database,
            unix_socket=dsn.unix_socket,
            autocommit=True,
            charset="utf8mb4",
            cursorclass=pymysql.cursors.DictCursor,
        )

    @contextlib.contextmanager
    def _connection(self) -> Iterator[Any]:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._open()
            self._local.connection = connection
            with self._lock:
                self._all.append(connection)
        yield connection

    def _sql(self, sql: str) -> str:
        return sql if self.dialect == "sqlite" else sql.replace("?", "%s")

    def _value(self, value: Any) -> Any:
        if isinstance(value, dt.datetime) and self.dialect == "sqlite":
            return value.strftime(protocol.STORED_TIME)
        return value

    def execute(self, sql: str, args: Sequence[Any] = ()) -> int:
        """Run one statement; return the number of rows it changed."""
        values = [self._value(v) for v in args]
        with self._connection() as connection:
            if self.dialect == "sqlite":
                return int(connection.execute(sql, values).rowcount)
            with connection.cursor() as cursor:
                return int(cursor.execute(self._sql(sql), values))

    def query(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        """Run one query; return its rows as dicts."""
        values = [self._value(v) for v in args]
        with self._connection() as connection:
            if self.dialect == "sqlite":
                return [dict(row) for row in connection.execute(sql, values).fetchall()]
            with connection.cursor() as cursor:
                cursor.execute(self._sql(sql), values)
                return [dict(row) for row in cursor.fetchall()]

    def one(self, sql: str, args: Sequence[Any] = ()) -> Row | None:
        """The first row of a query, or None."""
        rows = self.query(sql, args)
        return rows[0] if rows else None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Database]:
        """Run the block in one transaction of this thread's connection; commit or roll back."""
        with self._connection() as connection:
            if self.dialect == "sqlite":
                connection.execute("BEGIN IMMEDIATE")
            else:
                connection.begin()
            try:
                yield self
            except BaseException:
                if self.dialect == "sqlite":
                    connection.execute("ROLLBACK")
                else:
                    connection.rollback()
                raise
            if self.dialect == "sqlite":
                connection.execute("COMMIT")
            else:
                connection.commit()

    def close_thread(self) -> None:
        """Close the calling thread's connection, if it has one (a thread about to end)."""
        connection = getattr(self._local, "connection", None)
        if connection is None:
            return
        self._local.connection = None
        with self._lock:
            if connection in self._all:
                self._all.remove(connection)
        with contextlib.suppress(Exception):
            connection.close()

    def setup(self, statements: Sequence[str]) -> None:
        """Run DDL statements (``CREATE TABLE IF NOT EXISTS ...``)."""
        for statement in statements:
            self.execute(statement)

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            connections, self._all = self._all, []
        for connection in connections:
            with contextlib.suppress(Exception):
                connection.close()
