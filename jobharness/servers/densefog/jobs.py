"""The service's side of the ``job`` table: creating jobs in a handler, reading them back.

The table's schema and queries are the backend's protocol knowledge
(:mod:`jobharness.backends.densefog.protocol`); this module only runs them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

from jobharness.backends.densefog import protocol
from jobharness.servers.densefog.store import Database, Row


class JobStore:
    """Jobs of one database: ``create`` (as densefog's ``job.create``), ``get``, ``limitation``."""

    def __init__(self, db: Database, try_period: int, try_max: int) -> None:
        self.db = db
        self.try_period = try_period
        self.try_max = try_max

    def setup(self) -> None:
        """Create the ``job`` table if it is not there."""
        self.db.setup(protocol.job_table_ddl(self.db.dialect))

    def create(
        self,
        action: str,
        params: Mapping[str, Any],
        *,
        project_id: str = protocol.SYSTEM_PROJECT,
        run_at: dt.datetime | None = None,
        try_period: int | None = None,
        try_max: int | None = None,
    ) -> str:
        """Insert a ``pending`` job for ``action``; return its id."""
        now = protocol.utcnow()
        job_id = protocol.new_id("job")
        self.db.execute(
            f"INSERT INTO {protocol.JOB_TABLE} ({', '.join(protocol.JOB_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(protocol.JOB_COLUMNS))})",
            [
                job_id,
                project_id,
                action,
                protocol.JOB_PENDING,
                "",
                "",
                json.dumps(dict(params)),
                run_at or now,
                self.try_period if try_period is None else try_period,
                self.try_max if try_max is None else try_max,
                0,
                now,
                now,
            ],
        )
        return job_id

    def get(self, job_id: str) -> Row | None:
        """The row of ``job_id``."""
        return self.db.one(f"SELECT * FROM {protocol.JOB_TABLE} WHERE id = ?", [job_id])

    def limitation(
        self,
        *,
        job_ids: Sequence[str] | None = None,
        project_ids: Sequence[str] | None = None,
        status: Sequence[str] | None = None,
        offset: int = 0,
        limit: int = 20,
    ) -> tuple[int, list[Row]]:
        """The total matching and one page of rows, newest first."""
        where, args = [], []
        for column, values in (("id", job_ids), ("project_id", project_ids), ("status", status)):
            if values is not None:
                if not values:
                    return 0, []
                where.append(f"{column} IN ({', '.join('?' * len(values))})")
                args += list(values)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        total = self.db.one(f"SELECT COUNT(*) AS n FROM {protocol.JOB_TABLE}{clause}", args)
        rows = self.db.query(
            f"SELECT * FROM {protocol.JOB_TABLE}{clause} ORDER BY created DESC, id "
            "LIMIT ? OFFSET ?",
            [*args, limit, offset],
        )
        return int(total["n"]) if total else 0, rows


def format_job(row: Row) -> dict[str, Any]:
    """A job as ``DescribeJobs`` shows it: densefog's ``Job.format()`` plus the retry fields."""
    record = protocol.record_from_row(row)
    return {
        "jobId": record.id,
        "projectId": record.project_id,
        "action": record.action,
        "status": record.status,
        "resourceIds": record.resource_ids,
        "created": protocol.format_time(record.created),
        "updated": protocol.format_time(record.updated),
        "trys": record.trys,
        "tryMax": record.try_max,
        "tryPeriod": record.try_period,
        "runAt": protocol.format_time(record.run_at),
        "error": record.error,
        "result": record.result,
    }
