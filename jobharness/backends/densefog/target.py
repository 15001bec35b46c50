"""Where the densefog clients go: the configured service, or the embedded demo service.

The embedded service keeps its database in the target's directory (SQLite by
default, a private mariadbd with ``densefog_db=mariadb``, or a DSN) and
announces its job table's DSN in its ready file, so the client reads jobs
from the table. A DSN is never put on a command line: it reaches the service
in a file of the target's private directory.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from jobharness.backends.densefog.client import DensefogClient
from jobharness.backends.densefog.settings import (
    ALL_SETTINGS,
    DENSEFOG_APP,
    DENSEFOG_DB,
    DENSEFOG_HEADERS,
    DENSEFOG_JOB_TABLE,
    DENSEFOG_JOBS_ACTION,
    DENSEFOG_URL,
    DENSEFOG_WORKER_TICK,
)
from jobharness.targets import Service, Settings, StartContext, Target, TargetSpec

NAMED_DATABASES = ("sqlite", "mariadb")
SERVER_OPTIONS = {
    "worker_tick": "--worker-tick",
    "pick_size": "--pick-size",
    "exec_size": "--exec-size",
    "exec_timeout": "--exec-timeout",
    "try_period": "--try-period",
    "try_max": "--try-max",
    "action_delay": "--action-delay",
    "access_keys_file": "--access-keys-file",
}
"""Options of the embedded service a target may be opened with (``open_target(..., options)``)."""
SERVER_FLAGS = {"debug": "--debug", "fail_broken_jobs": "--fail-broken-jobs"}


def _configured(settings: Settings) -> dict[str, Any] | None:
    url = settings[DENSEFOG_URL.name]
    if url.value is None:
        return None
    return {
        "url": url.value,
        "headers": settings[DENSEFOG_HEADERS.name].value,
        "job_table": settings[DENSEFOG_JOB_TABLE.name].value,
        "jobs_action": settings[DENSEFOG_JOBS_ACTION.name].value,
    }


def _server_args(context: StartContext) -> list[str]:
    """Data in the target's directory; the database named, or its DSN in a private file."""
    options, settings = context.options, context.settings
    args = ["--data-dir", str(context.workdir / "densefog-data")]
    db = options.get("db") or settings[DENSEFOG_DB.name].value
    if db in NAMED_DATABASES:
        args += ["--db", str(db)]
    elif db:
        path = context.workdir / "db.dsn"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(str(db))
        args += ["--db-file", str(path)]
    app = options.get("app") or settings[DENSEFOG_APP.name].value
    if app:
        args += ["--app", str(app)]
    tick = options.get("worker_tick") or settings[DENSEFOG_WORKER_TICK.name].value
    if tick:
        args += ["--worker-tick", str(tick)]
    for name, flag in SERVER_OPTIONS.items():
        if name != "worker_tick" and options.get(name) is not None:
            args += [flag, str(options[name])]
    args += [flag for name, flag in SERVER_FLAGS.items() if options.get(name)]
    return args


def _embedded(infos: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    info = infos[-1]
    keys = ("url", "job_table", "db", "worker_tick", "exec_timeout", "data_dir")
    return {"jobs_action": "DescribeJobs", "headers": None, **{k: info.get(k) for k in keys}}


DENSEFOG_TARGET = TargetSpec(
    backend="densefog",
    settings=ALL_SETTINGS,
    configured=_configured,
    services=(Service("densefog", _server_args),),
    embedded=_embedded,
    secrets=("headers", "job_table"),
)
"""densefog's target: ``densefog_url`` (with ``densefog_headers`` and optionally
``densefog_job_table``), else ``jobharness serve densefog``."""


def densefog_client(target: Target, **options: Any) -> DensefogClient:
    """A :class:`DensefogClient` for ``target``: its headers, its job table when known.

    For the embedded service, a job is reported stuck once it has been running
    longer than the service's ``exec_timeout`` allows plus two worker ticks.
    """
    info = target.info
    options.setdefault("job_table", info.get("job_table"))
    options.setdefault("jobs_action", info.get("jobs_action") or "DescribeJobs")
    if "stuck_after" not in options and info.get("exec_timeout") is not None:
        tick = float(info.get("worker_tick") or 2.0)
        options["stuck_after"] = float(info["exec_timeout"]) + 2 * tick + 1.0
    return DensefogClient(target.url, info.get("headers"), **options)
