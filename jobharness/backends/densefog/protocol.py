"""What densefog is made of: the action envelope, its error codes and texts, and the job table.

Nothing here does I/O. The client and the embedded service both build on it:
the envelope and the messages of the framework's guards, resource statuses
(busy is a status ending in ``ing``), job statuses, ids, datetimes, and the
``job`` table's columns, DDL and queries (the service's worker runs the table,
the client may read it directly).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

SERVER_NAME = "densefog"
BANNER = "It's DenseFog API service."
"""The plain-text answer of ``GET /`` (PyPI 0.0.1.dev10 says "It's Wumai API service.")."""

# -- the envelope -----------------------------------------------------------------------------

ACTION = "action"
RET_CODE = "retCode"
MESSAGE = "message"
DATA = "data"
EXCEPTION_TAG = "exceptionTag"
EXCEPTION_STR = "exceptionStr"
RESOURCE_ID = "resourceId"
JOB_ID = "jobId"

OK = 0
UNKNOWN_ACTION = 4000
INVALID_REQUEST_PARAMETER = 4100
ACCESS_KEY_INVALID = 4101
RESOURCE_NOT_BELONGS_TO_PROJECT = 4103
RESOURCE_NOT_FOUND = 4104
RESOURCE_ACTION_FORBIDDEN = 4105
RESOURCE_ACTION_UNSUPPORTED = 4106
ILLEGAL_REQUEST_FORMAT = 4110
INTERNAL_ERROR = 5000
PROVIDER_ACTION_ERROR = 5001

CODE_NAMES: dict[int, str] = {
    UNKNOWN_ACTION: "UnknownAction",
    INVALID_REQUEST_PARAMETER: "InvalidRequestParameter",
    ACCESS_KEY_INVALID: "AccessKeyInvalid",
    RESOURCE_NOT_BELONGS_TO_PROJECT: "ResourceNotBelongsToProject",
    RESOURCE_NOT_FOUND: "ResourceNotFound",
    RESOURCE_ACTION_FORBIDDEN: "ResourceActionForbiden",
    RESOURCE_ACTION_UNSUPPORTED: "ResourceActionUnsupported",
    ILLEGAL_REQUEST_FORMAT: "ValidationError",
    4113: "ResourceQuotaNotEnough",
    4600: "ProjectDuplicated",
    4601: "ManageAccessKeyInvalid",
    4604: "ProjectNotFound",
    4611: "AccessKeyDuplicated",
    4614: "AccessKeyNotFound",
    INTERNAL_ERROR: "InternalError",
    PROVIDER_ACTION_ERROR: "IaasProviderActionError",
    5002: "ActionsPartialSuccessError",
}
"""Names of the codes densefog raises and of those its README lists for consumer apps."""


def code_name(code: int) -> str:
    """The name of ``code``, or what its range says (4xxx the client's fault, 5xxx the server's)."""
    if code in CODE_NAMES:
        return CODE_NAMES[code]
    if 4000 <= code < 5000:
        return "client error"
    if 5000 <= code < 6000:
        return "server error"
    return "unknown code"


# -- the framework's messages -----------------------------------------------------------------

INTERNAL_MESSAGE = "An error occurred while processing your request."
PROVIDER_MESSAGE = "Action failed.op"
ILLEGAL_FORMAT_PREFIX = "Illegal request format, "


def unknown_action_message(action: str) -> str:
    """4000: ``Unknow action X.`` (the framework's spelling)."""
    return f"Unknow action {action}."


def illegal_format_message(detail: str) -> str:
    """4110: ``Illegal request format, <detail>.``."""
    return f"{ILLEGAL_FORMAT_PREFIX}{detail}."


def not_found_message(resource_id: str) -> str:
    """4104: ``Resource (<id>) is not found``."""
    return f"Resource ({resource_id}) is not found"


def no_permission_message(resource_id: str) -> str:
    """4103: ``You have no permission on this resource (<id>)``."""
    return f"You have no permission on this resource ({resource_id})"


def forbidden_message(resource_id: str) -> str:
    """4105 in general: ``Resource (<id>) action is forbiden.``."""
    return f"Resource ({resource_id}) action is forbiden."


def unsupported_message(resource_id: str) -> str:
    """4106: ``Resource (<id>) action is supported.`` (sic)."""
    return f"Resource ({resource_id}) action is supported."


ForbiddenReason = Literal["busy", "deleted", "error"]
_REASON_TEXT: dict[ForbiddenReason, str] = {
    "busy": "is busy now",
    "deleted": "is deleted",
    "error": "is in error",
}


def refused_message(resource_id: str, reason: ForbiddenReason) -> str:
    """4105: ``Can not do action, because resource (<id>) is busy now.`` (deleted, in error)."""
    return f"Can not do action, because resource ({resource_id}) {_REASON_TEXT[reason]}."


def forbidden_reason(message: str | None) -> ForbiddenReason | None:
    """Why a 4105 refused, read from its message (``busy``, ``deleted``, ``error``), or None."""
    for reason, text in _REASON_TEXT.items():
        if message and f") {text}" in message:
            return reason
    return None


# -- resources --------------------------------------------------------------------------------

DELETED_STATUSES = ("deleted", "ceased")
ERROR_STATUS = "error"


def is_busy(status: str | None) -> bool:
    """The framework's definition of busy: a status ending in ``ing`` (``pending`` too)."""
    return isinstance(status, str) and status.endswith("ing")


def is_deleted(status: str | None) -> bool:
    """True for ``deleted`` and ``ceased``."""
    return status in DELETED_STATUSES


# -- jobs -------------------------------------------------------------------------------------

JOB_PENDING = "pending"
JOB_RUNNING = "running"
JOB_FINISHED = "finished"
JOB_ERROR = "error"
JOB_STATUSES = (JOB_PENDING, JOB_RUNNING, JOB_FINISHED, JOB_ERROR)
FINAL_JOB_STATUSES = (JOB_FINISHED, JOB_ERROR)
DEFAULT_TRY_PERIOD = 600
DEFAULT_TRY_MAX = 3
DEFAULT_EXEC_TIMEOUT = 600
WORKER_TICK = 2.0
"""Seconds the real worker waits between two picks."""
RESOURCE_IDS = "resource_ids"
"""The key of a job's params that holds the ids of the resources it works on."""

ID_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
SYSTEM_PROJECT = "2222222222222222222222"
PASSWORD_MASK = "********"


def new_id(prefix: str, length: int = 10) -> str:
    """``<prefix>-`` and ``length`` random base57 characters, such as ``job-RZheuw3F7x``."""
    return f"{prefix}-" + "".join(secrets.choice(ID_ALPHABET) for _ in range(length))


def attempts_allowed(try_max: int) -> int:
    """How many attempts a job gets: ``try_max``, and one for 0 or 1."""
    return max(1, try_max)


def retry_delay(try_period: int | float, attempt: int) -> float:
    """Seconds before the next attempt after failed attempt ``attempt``: linear backoff."""
    return float(try_period) * attempt


def redacted_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """A finished job's params as the worker rewrites them (passwords, user data hidden)."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if "password" in key:
            out[key] = PASSWORD_MASK
        elif "user_data" in key:
            out[key] = "user_data"
        else:
            out[key] = value
    return out


# -- datetimes --------------------------------------------------------------------------------

WIRE_TIME = "%Y-%m-%dT%H:%M:%SZ"
STORED_TIME = "%Y-%m-%d %H:%M:%S"


def utcnow() -> dt.datetime:
    """Now as naive UTC, whole seconds (what a MySQL ``DATETIME`` keeps)."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def format_time(value: dt.datetime | None) -> str | None:
    """A datetime as the API writes it: ``YYYY-MM-DDTHH:MM:SSZ`` (naive UTC, seconds)."""
    return value.strftime(WIRE_TIME) if value is not None else None


def parse_time(value: Any) -> dt.datetime | None:
    """A naive UTC datetime from a ``datetime``, the API's or the table's text; None stays None.

    Raises ValueError for anything else.
    """
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        moment: dt.datetime = value
        if moment.tzinfo is not None:
            moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return moment
    if isinstance(value, str):
        text = value.strip().replace("T", " ").rstrip("Z")
        parsed: dt.datetime = dt.datetime.fromisoformat(text)
        return parsed
    raise ValueError(f"not a datetime: {value!r}")


# -- the job table ----------------------------------------------------------------------------

Dialect = Literal["sqlite", "mysql"]
JOB_TABLE = "job"
JOB_COLUMNS = (
    "id",
    "project_id",
    "action",
    "status",
    "error",
    "result",
    "params",
    "run_at",
    "try_period",
    "try_max",
    "trys",
    "created",
    "updated",
)

_JOB_DDL = {
    "sqlite": """
CREATE TABLE IF NOT EXISTS job (
    id TEXT NOT NULL PRIMARY KEY,
    project_id TEXT NOT NULL,
    action TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT NOT NULL,
    result TEXT NOT NULL,
    params TEXT NOT NULL,
    run_at DATETIME NOT NULL,
    try_period INTEGER NOT NULL,
    try_max INTEGER NOT NULL,
    trys INTEGER NOT NULL,
    created DATETIME NOT NULL,
    updated DATETIME NOT NULL
)""",
    "mysql": """
CREATE TABLE IF NOT EXISTS job (
    id VARCHAR(32) NOT NULL PRIMARY KEY,
    project_id VARCHAR(32) NOT NULL,
    action VARCHAR(64) NOT NULL,
    status VARCHAR(16) NOT NULL,
    error TEXT NOT NULL,
    result MEDIUMTEXT NOT NULL,
    params MEDIUMTEXT NOT NULL,
    run_at DATETIME NOT NULL,
    try_period INT NOT NULL,
    try_max INT NOT NULL,
    trys INT NOT NULL,
    created DATETIME NOT NULL,
    updated DATETIME NOT NULL,
    KEY job_status_run_at (status, run_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4""",
}
_INDEX_SQLITE = "CREATE INDEX IF NOT EXISTS job_status_run_at ON job (status, run_at)"


def job_table_ddl(dialect: Dialect) -> list[str]:
    """The statements that create the ``job`` table (if it is not there) in ``dialect``."""
    statements = [_JOB_DDL[dialect].strip()]
    if dialect == "sqlite":
        statements.append(_INDEX_SQLITE)
    return statements


def placeholder(dialect: Dialect) -> str:
    """The driver's parameter marker: ``?`` for sqlite3, ``%s`` for PyMySQL."""
    return "?" if dialect == "sqlite" else "%s"


def select_jobs_sql(count: int, dialect: Dialect) -> str:
    """One query for the rows of ``count`` job ids."""
    marks = ", ".join([placeholder(dialect)] * count)
    return f"SELECT {', '.join(JOB_COLUMNS)} FROM {JOB_TABLE} WHERE id IN ({marks})"


def pick_sql(dialect: Dialect) -> str:
    """The worker's pick: pending rows due now, newest first (no ``LIMIT``, as upstream)."""
    mark = placeholder(dialect)
    return (
        f"SELECT id FROM {JOB_TABLE} WHERE status = {mark} AND run_at <= {mark} "
        "ORDER BY created DESC"
    )


@dataclass(frozen=True)
class JobRecord:
    """What is known of one job row: from the table (everything) or a jobs action (what it shows).

    ``result`` and ``params`` are decoded JSON when they could be decoded, else the
    raw text. Fields an action does not show are None.
    """

    id: str
    status: str
    action: str | None = None
    project_id: str | None = None
    error: str | None = None
    result: Any = None
    params: Any = None
    run_at: dt.datetime | None = None
    try_period: int | None = None
    try_max: int | None = None
    trys: int | None = None
    created: dt.datetime | None = None
    updated: dt.datetime | None = None
    resource_ids: list[str] = field(default_factory=list)

    @property
    def progress(self) -> tuple[Any, ...]:
        """What changes when a job makes progress (status, attempts, next run, last update)."""
        return (self.status, self.trys, self.run_at, self.updated)


def _decoded(text: Any) -> Any:
    if not isinstance(text, str) or text == "":
        return None if text in ("", None) else text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _int_or_none(row: Mapping[str, Any], key: str) -> int | None:
    value = row.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{key} is not an integer: {value!r}")
    return value


def _text_or_none(row: Mapping[str, Any], key: str) -> str | None:
    value = row.get(key)
    if value is None or isinstance(value, str):
        return value
    raise ValueError(f"{key} is not text: {value!r}")


def record_from_row(row: Mapping[str, Any]) -> JobRecord:
    """A :class:`JobRecord` from a ``job`` row; ValueError naming the column that is wrong."""
    job_id, status = row.get("id"), row.get("status")
    if not isinstance(job_id, str) or not isinstance(status, str):
        raise ValueError(f"id and status must be text, got {job_id!r} and {status!r}")
    params = _decoded(row.get("params"))
    ids = params.get(RESOURCE_IDS) if isinstance(params, dict) else None
    return JobRecord(
        id=job_id,
        status=status,
        action=_text_or_none(row, "action"),
        project_id=_text_or_none(row, "project_id"),
        error=_text_or_none(row, "error"),
        result=_decoded(row.get("result")),
        params=params,
        run_at=parse_time(row.get("run_at")),
        try_period=_int_or_none(row, "try_period"),
        try_max=_int_or_none(row, "try_max"),
        trys=_int_or_none(row, "trys"),
        created=parse_time(row.get("created")),
        updated=parse_time(row.get("updated")),
        resource_ids=[str(i) for i in ids] if isinstance(ids, list) else [],
    )
