"""The embedded service's demo app: instances, in the conventions of densefog's consumer apps.

* ``CreateInstances {count?, name?}`` inserts ``pending`` instances and one job;
  answers ``{jobId, instanceIds}``. The job sets them ``creating``, then ``active``
  (``error`` when its last attempt fails).
* ``DeleteInstances {instanceIds}`` checks each with the framework's guards
  (4104, 4103, 4105 busy / deleted / in error), sets them ``deleting`` and makes
  one job, which sets them ``deleted``; answers ``{jobId, instanceIds}``.
* ``DescribeInstances {instanceIds?, status?, name?, limit?, offset?}`` answers
  ``{limit, offset, total, instanceSet}``, newest first, in the caller's project.
* ``DescribeJobs {jobIds?, status?, limit?, offset?}`` answers
  ``{limit, offset, total, jobSet}`` (densefog's ``Job.format()`` plus ``trys``,
  ``tryMax``, ``tryPeriod``, ``runAt``, ``error`` and ``result``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jobharness.backends.densefog import protocol
from jobharness.servers.densefog.framework import (
    ActionRequest,
    Handler,
    must_be_available,
    validate,
)
from jobharness.servers.densefog.jobs import format_job
from jobharness.servers.densefog.store import Database, Row

INSTANCE_TABLE = "instance"
INSTANCE_DDL = f"""
CREATE TABLE IF NOT EXISTS {INSTANCE_TABLE} (
    id VARCHAR(32) NOT NULL PRIMARY KEY,
    project_id VARCHAR(32) NOT NULL,
    name VARCHAR(255) NOT NULL,
    status VARCHAR(16) NOT NULL,
    created DATETIME NOT NULL,
    updated DATETIME NOT NULL
)"""
Sleep = Callable[[float], None]
MAX_PAGE = 100
DEFAULT_PAGE = 20

_IDS = {"type": "array", "items": {"type": "string"}, "maxItems": MAX_PAGE}
_PAGE = {
    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
    "offset": {"type": "integer", "minimum": 0},
    "verbose": {"type": "boolean"},
}
CREATE_SCHEMA = {
    "type": "object",
    "properties": {
        "count": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
        "name": {"type": "string", "maxLength": 255},
    },
}
DELETE_SCHEMA = {
    "type": "object",
    "properties": {"instanceIds": {**_IDS, "minItems": 1}},
    "required": ["instanceIds"],
}
DESCRIBE_SCHEMA = {
    "type": "object",
    "properties": {
        "instanceIds": _IDS,
        "status": {"type": "array", "items": {"type": "string"}},
        "name": {"type": "string"},
        **_PAGE,
    },
}
JOBS_SCHEMA = {
    "type": "object",
    "properties": {
        "jobIds": _IDS,
        "status": {"type": "array", "items": {"type": "string"}},
        **_PAGE,
    },
}


def format_instance(row: Row) -> dict[str, Any]:
    """An instance as ``DescribeInstances`` shows it."""
    return {
        "instanceId": row["id"],
        "name": row["name"],
        "status": row["status"],
        "created": protocol.parse_time(row["created"]),
        "updated": protocol.parse_time(row["updated"]),
    }


class DemoApp:
    """The demo's actions and job functions; ``action_delay`` is how long a job's work takes."""

    def __init__(self, action_delay: float = 0.2) -> None:
        self.action_delay = action_delay

    def setup(self, db: Database) -> None:
        """Create the instance table."""
        db.setup([INSTANCE_DDL])

    def actions(self) -> dict[str, Handler]:
        """The API actions by name."""
        return {
            "CreateInstances": self.create_instances_action,
            "DeleteInstances": self.delete_instances_action,
            "DescribeInstances": self.describe_instances,
            "DescribeJobs": describe_jobs,
        }

    def job_function(self, name: str) -> Callable[..., Any] | None:
        """The job function for job action function name ``name`` (``create_instances``)."""
        return {
            "create_instances": self.create_instances,
            "delete_instances": self.delete_instances,
        }.get(name)

    # -- actions -----------------------------------------------------------------------

    def create_instances_action(self, request: ActionRequest) -> dict[str, Any]:
        """``CreateInstances``: pending instances and the job that creates them."""
        params = validate(request.params, CREATE_SCHEMA)
        count, name = params.get("count", 1), params.get("name", "")
        now = protocol.utcnow()
        ids = [protocol.new_id("inst", 8) for _ in range(count)]
        with request.db.transaction() as db:
            for instance_id in ids:
                db.execute(
                    f"INSERT INTO {INSTANCE_TABLE} (id, project_id, name, status, created, updated)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    [instance_id, request.project_id, name, "pending", now, now],
                )
            job_id = request.jobs.create(
                "CreateInstances", {protocol.RESOURCE_IDS: ids}, project_id=request.project_id
            )
        return {"jobId": job_id, "instanceIds": ids}

    def delete_instances_action(self, request: ActionRequest) -> dict[str, Any]:
        """``DeleteInstances``: each must be available; they become deleting, with one job."""
        ids = list(dict.fromkeys(validate(request.params, DELETE_SCHEMA)["instanceIds"]))
        with request.db.transaction() as db:
            for instance_id in ids:
                row = db.one(
                    f"SELECT * FROM {INSTANCE_TABLE} WHERE id = ?{db.for_update}", [instance_id]
                )
                must_be_available(row, instance_id, request.project_id)
            _set_status(db, ids, "deleting")
            job_id = request.jobs.create(
                "DeleteInstances", {protocol.RESOURCE_IDS: ids}, project_id=request.project_id
            )
        return {"jobId": job_id, "instanceIds": ids}

    def describe_instances(self, request: ActionRequest) -> dict[str, Any]:
        """``DescribeInstances``: a page of the project's instances, newest first."""
        params = validate(request.params, DESCRIBE_SCHEMA)
        where, args = ["project_id = ?"], [request.project_id]
        for column, values in (("id", params.get("instanceIds")), ("status", params.get("status"))):
            if values is not None:
                if not values:
                    return _page(params, 0, "instanceSet", [])
                where.append(f"{column} IN ({', '.join('?' * len(values))})")
                args += list(values)
        if params.get("name") is not None:
            where.append("name = ?")
            args.append(params["name"])
        clause = " AND ".join(where)
        total = request.db.one(f"SELECT COUNT(*) AS n FROM {INSTANCE_TABLE} WHERE {clause}", args)
        limit, offset = params.get("limit", DEFAULT_PAGE), params.get("offset", 0)
        rows = request.db.query(
            f"SELECT * FROM {INSTANCE_TABLE} WHERE {clause} ORDER BY created DESC, id "
            "LIMIT ? OFFSET ?",
            [*args, limit, offset],
        )
        items = [format_instance(row) for row in rows]
        return _page(params, int(total["n"]) if total else 0, "instanceSet", items)

    # -- job functions ------------------------------------------------------------------

    def create_instances(
        self,
        params: dict[str, Any],
        time_sleep: Callable[[float], None],
        is_last_chance: bool,
        db: Database,
    ) -> dict[str, Any]:
        """Job ``CreateInstances``: pending -> creating -> active (error on the last failure)."""
        ids = list(params[protocol.RESOURCE_IDS])
        try:
            _set_status(db, ids, "creating", only_from=("pending", "creating"))
            time_sleep(self.action_delay)
            _set_status(db, ids, "active", only_from=("creating",))
        except BaseException:
            if is_last_chance:
                _set_status(db, ids, "error", only_from=("pending", "creating"))
            raise
        return {"instanceIds": ids}

    def delete_instances(
        self,
        params: dict[str, Any],
        time_sleep: Callable[[float], None],
        is_last_chance: bool,
        db: Database,
    ) -> dict[str, Any]:
        """Job ``DeleteInstances``: deleting -> deleted."""
        ids = list(params[protocol.RESOURCE_IDS])
        time_sleep(self.action_delay)
        _set_status(db, ids, "deleted", only_from=("deleting",))
        return {"instanceIds": ids}


def describe_jobs(request: ActionRequest) -> dict[str, Any]:
    """``DescribeJobs``: a page of the project's jobs, newest first."""
    params = validate(request.params, JOBS_SCHEMA)
    limit, offset = params.get("limit", DEFAULT_PAGE), params.get("offset", 0)
    total, rows = request.jobs.limitation(
        job_ids=params.get("jobIds"),
        project_ids=[request.project_id],
        status=params.get("status"),
        offset=offset,
        limit=limit,
    )
    return _page(params, total, "jobSet", [format_job(row) for row in rows])


def _page(params: dict[str, Any], total: int, name: str, items: list[Any]) -> dict[str, Any]:
    return {
        "limit": params.get("limit", DEFAULT_PAGE),
        "offset": params.get("offset", 0),
        "total": total,
        name: items,
    }


def _set_status(
    db: Database, ids: list[str], status: str, only_from: tuple[str, ...] | None = None
) -> None:
    if not ids:
        return
    marks = ", ".join("?" * len(ids))
    sql = f"UPDATE {INSTANCE_TABLE} SET status = ?, updated = ? WHERE id IN ({marks})"
    args: list[Any] = [status, protocol.utcnow(), *ids]
    if only_from:
        sql += f" AND status IN ({', '.join('?' * len(only_from))})"
        args += list(only_from)
    db.execute(sql, args)
