"""SQLite storage of the saltant server: one file under the data directory.

Rows come back as plain dicts with JSON columns decoded and booleans as
``bool``. One connection is shared by the request threads and the workers;
a lock serialises its use (SQLite serialises writers anyway).
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from jobharness.servers.saltant.kinds import (
    CONTAINER,
    EXECUTABLE,
    TASK_QUEUES,
    TASK_WHITELISTS,
    USERS,
)

Row = dict[str, Any]

_TYPE_COLUMNS = """
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user TEXT,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    datetime_created TEXT NOT NULL,
    command_to_run TEXT NOT NULL,
    environment_variables TEXT NOT NULL,
    required_arguments TEXT NOT NULL,
    required_arguments_default_values TEXT NOT NULL"""

_INSTANCE_TABLE = """
CREATE TABLE IF NOT EXISTS {table} (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    user TEXT,
    name TEXT NOT NULL,
    state TEXT NOT NULL,
    datetime_created TEXT NOT NULL,
    datetime_finished TEXT,
    arguments TEXT NOT NULL,
    task_queue INTEGER NOT NULL,
    task_type INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS {table}_state ON {table} (state);
"""

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS {USERS} (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    token TEXT UNIQUE,
    is_superuser INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS {EXECUTABLE.types} ({_TYPE_COLUMNS},
    json_file_option TEXT
);
CREATE TABLE IF NOT EXISTS {CONTAINER.types} ({_TYPE_COLUMNS},
    logs_path TEXT,
    results_path TEXT,
    container_image TEXT NOT NULL,
    container_type TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS {TASK_WHITELISTS} (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user TEXT,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    whitelisted_container_task_types TEXT NOT NULL,
    whitelisted_executable_task_types TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS {TASK_QUEUES} (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user TEXT,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    private INTEGER NOT NULL,
    runs_executable_tasks INTEGER NOT NULL,
    runs_docker_container_tasks INTEGER NOT NULL,
    runs_singularity_container_tasks INTEGER NOT NULL,
    active INTEGER NOT NULL,
    whitelists TEXT NOT NULL
);
{_INSTANCE_TABLE.format(table=EXECUTABLE.instances)}
{_INSTANCE_TABLE.format(table=CONTAINER.instances)}
"""

JSON_COLUMNS = frozenset(
    {
        "environment_variables",
        "required_arguments",
        "required_arguments_default_values",
        "arguments",
        "whitelists",
        "whitelisted_container_task_types",
        "whitelisted_executable_task_types",
    }
)
BOOL_COLUMNS = frozenset(
    {
        "private",
        "runs_executable_tasks",
        "runs_docker_container_tasks",
        "runs_singularity_container_tasks",
        "active",
        "is_superuser",
    }
)
_IDENTIFIER = re.compile(r"^[a-z_]+$")


def _regexp(pattern: str, value: object) -> bool:
    """SQLite's ``REGEXP`` operator: a Python ``re.search`` (patterns are checked before)."""
    return value is not None and re.search(pattern, str(value)) is not None


def _identifier(name: str) -> str:
    """``name`` if it is a plain table or column name (they never come from a request)."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not an identifier: {name!r}")
    return name


def decode_row(row: sqlite3.Row) -> Row:
    """A database row as a dict: JSON columns decoded, flags as booleans."""
    decoded: Row = {}
    for key in row.keys():  # noqa: SIM118 (sqlite3.Row is not a mapping)
        value = row[key]
        if key in JSON_COLUMNS and value is not None:
            value = json.loads(value)
        elif key in BOOL_COLUMNS:
            value = bool(value)
        decoded[key] = value
    return decoded


def encode_value(column: str, value: Any) -> Any:
    """A Python value as stored in ``column``."""
    if column in JSON_COLUMNS:
        return json.dumps(value)
    if column in BOOL_COLUMNS:
        return int(bool(value))
    return value


class Database:
    """The server's SQLite database (thread-safe, one shared connection)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.create_function("regexp", 2, _regexp, deterministic=True)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(SCHEMA)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Database]:
        """Hold the lock and a write transaction for the block (re-entrant)."""
        with self._lock:
            if self._conn.in_transaction:
                yield self
                return
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run a SELECT and return its rows as dicts."""
        with self._lock:
            return [decode_row(row) for row in self._conn.execute(sql, params).fetchall()]

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run a SELECT that returns one value."""
        with self._lock:
            row = self._conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def get(self, table: str, column: str, value: Any) -> Row | None:
        """The row of ``table`` whose ``column`` equals ``value``, or ``None``."""
        rows = self.query(
            f"SELECT * FROM {_identifier(table)} WHERE {_identifier(column)} = ?", (value,)
        )
        return rows[0] if rows else None

    def insert(self, table: str, values: Mapping[str, Any]) -> int:
        """Insert a row; return its rowid."""
        columns = [_identifier(c) for c in values]
        sql = (
            f"INSERT INTO {_identifier(table)} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})"
        )
        with self._lock:
            cursor = self._conn.execute(sql, [encode_value(c, v) for c, v in values.items()])
        return int(cursor.lastrowid or 0)

    def update(self, table: str, column: str, key: Any, values: Mapping[str, Any]) -> int:
        """Set ``values`` on the rows of ``table`` where ``column`` equals ``key``."""
        if not values:
            return 0
        assignments = ", ".join(f"{_identifier(c)} = ?" for c in values)
        params = [encode_value(c, v) for c, v in values.items()]
        with self._lock:
            cursor = self._conn.execute(
                f"UPDATE {_identifier(table)} SET {assignments} WHERE {_identifier(column)} = ?",
                [*params, key],
            )
        return int(cursor.rowcount)

    def meta(self, key: str, default: str) -> str:
        """A stored setting; ``default`` is stored and returned when it is absent."""
        with self.transaction():
            value = self.scalar("SELECT value FROM meta WHERE key = ?", (key,))
            if value is None:
                self._conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, default))
                return default
            return str(value)
