"""Job records and stream packets on disk (SQLite), so they outlive a dispatcher restart.

Values are kept as the JSON text the dispatcher sends, so replies are built
without re-encoding.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    procedure TEXT NOT NULL,
    arguments TEXT NOT NULL,
    info TEXT NOT NULL,
    submit INTEGER NOT NULL,
    start INTEGER,
    end INTEGER,
    outcome TEXT
);
CREATE TABLE IF NOT EXISTS packets (
    job_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
);
"""


@dataclass(frozen=True)
class JobRecord:
    """A stored job: the call, its times (whole seconds) and its terminal object, if any."""

    id: str
    host: str
    procedure: str
    arguments: str
    info: str
    submit: int
    start: int | None
    end: int | None
    outcome: str | None


class JobStore:
    """Thread-safe access to the jobs database in ``data_dir``."""

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / "jobs.sqlite3"
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def _write(self, sql: str, params: tuple[object, ...]) -> None:
        with self._lock:
            self._db.execute(sql, params)

    def create(self, record: JobRecord) -> None:
        """Store a new job."""
        self._write(
            "INSERT INTO jobs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.id,
                record.host,
                record.procedure,
                record.arguments,
                record.info,
                record.submit,
                record.start,
                record.end,
                record.outcome,
            ),
        )

    def started(self, job_id: str, when: int) -> None:
        """Record the start time."""
        self._write("UPDATE jobs SET start = ? WHERE id = ?", (when, job_id))

    def add_packet(self, job_id: str, seq: int, data: str) -> None:
        """Append stream packet ``seq``."""
        self._write("INSERT INTO packets VALUES (?, ?, ?)", (job_id, seq, data))

    def finish(self, job_id: str, outcome: str, when: int) -> None:
        """Record the terminal object and the end time."""
        self._write("UPDATE jobs SET outcome = ?, end = ? WHERE id = ?", (outcome, when, job_id))

    def get(self, job_id: str) -> JobRecord | None:
        """The job, or ``None``."""
        with self._lock:
            row = self._db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return JobRecord(*row) if row else None

    def packet_count(self, job_id: str) -> int:
        """How many packets the job has stored."""
        with self._lock:
            row = self._db.execute(
                "SELECT COUNT(*) FROM packets WHERE job_id = ?", (job_id,)
            ).fetchone()
        return int(row[0])

    def packets(self, job_id: str, since: int, until: int | None = None) -> list[tuple[int, str]]:
        """Packets ``since`` <= seq < ``until`` (or to the end), in order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, data FROM packets WHERE job_id = ? AND seq >= ? AND seq < ? "
                "ORDER BY seq",
                (job_id, since, until if until is not None else 2**62),
            ).fetchall()
        return [(int(seq), str(data)) for seq, data in rows]
