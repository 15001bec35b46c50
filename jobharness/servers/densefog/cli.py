"""``jobharness serve densefog``: options, start-up and shutdown of the embedded service."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from jobharness.backends.densefog import protocol
from jobharness.backends.densefog.dsn import Dsn, parse_dsn
from jobharness.errors import ConfigurationError
from jobharness.resources import Closing
from jobharness.servers.base import base_url, make_http_server, serve_until_stopped
from jobharness.servers.densefog.apps import App, load_module
from jobharness.servers.densefog.demo import DemoApp
from jobharness.servers.densefog.framework import DensefogApi
from jobharness.servers.densefog.jobs import JobStore
from jobharness.servers.densefog.store import Database
from jobharness.servers.densefog.worker import Worker, WorkerOptions

DB_ENV = "JOBHARNESS_DENSEFOG_DB"
SQLITE_FILE = "densefog.sqlite3"
MARIADB_DATABASE = "densefog"


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number of seconds, got {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The densefog service's own options."""
    parser.add_argument(
        "--data-dir",
        help="keep the SQLite database (or the private mariadbd) here, also after a stop "
        "(default: a temporary directory removed at stop)",
    )
    parser.add_argument(
        "--db",
        help="sqlite (default), mariadb (a private mariadbd in the data directory), or a DSN "
        f"without a password; a DSN with one goes in {DB_ENV} or --db-file",
    )
    parser.add_argument("--db-file", help="a file holding the database DSN")
    parser.add_argument(
        "--app",
        action="append",
        default=[],
        metavar="MODULE",
        help="a module (import name or .py file) adding actions and job functions; repeatable",
    )
    parser.add_argument(
        "--worker-tick",
        type=_seconds,
        default=protocol.WORKER_TICK,
        help="seconds between two picks of the worker (densefog: 2)",
    )
    parser.add_argument("--pick-size", type=_positive_int, default=10, help="jobs per pick")
    parser.add_argument("--exec-size", type=_positive_int, default=10, help="jobs run at once")
    parser.add_argument(
        "--exec-timeout",
        type=_seconds,
        default=protocol.DEFAULT_EXEC_TIMEOUT,
        help="seconds one attempt of a job may take",
    )
    parser.add_argument(
        "--try-period",
        type=int,
        default=protocol.DEFAULT_TRY_PERIOD,
        help="base retry delay of the demo's jobs, in seconds (attempt n waits n times it)",
    )
    parser.add_argument(
        "--try-max",
        type=int,
        default=protocol.DEFAULT_TRY_MAX,
        help="attempts of the demo's jobs",
    )
    parser.add_argument(
        "--action-delay",
        type=_seconds,
        default=0.2,
        help="seconds the demo's create and delete jobs take",
    )
    parser.add_argument("--no-worker", action="store_true", help="serve the API only")
    parser.add_argument(
        "--fail-broken-jobs",
        action="store_true",
        help="end in error the jobs densefog leaves running for good (unknown action, params "
        "that are not JSON, a result that is not serialisable)",
    )
    parser.add_argument(
        "--access-keys-file",
        help="require X-Le-Key/X-Le-Secret: a file of KEY:SECRET[:PROJECT] lines",
    )
    parser.add_argument(
        "--debug", action="store_true", help="densefog's DEBUG: tracebacks in error data"
    )


def _database_dsn(args: argparse.Namespace, root: Path) -> tuple[str, Closing | None]:
    """The DSN to use, and the private mariadbd started for it (if any)."""
    text = args.db
    if args.db_file:
        text = Path(args.db_file).read_text(encoding="utf-8").strip()
    elif not text:
        text = os.environ.get(DB_ENV, "")
    if not text or text == "sqlite":
        return f"sqlite:///{root / SQLITE_FILE}", None
    if text == "mariadb":
        from jobharness.servers.densefog.mariadb import PrivateMariaDB

        mariadb = PrivateMariaDB(root / "mariadb").start()
        try:
            dsn = mariadb.create_database(MARIADB_DATABASE, user="densefog")
        except BaseException:
            mariadb.stop()
            raise
        return dsn.text, mariadb
    if args.db and parse_dsn(text).password:
        raise ConfigurationError(
            f"--db: a DSN with a password must not be on the command line; put it in {DB_ENV} "
            "or in a file given with --db-file"
        )
    return text, None


def _access_keys(path: str | None) -> dict[str, tuple[str, str]]:
    keys: dict[str, tuple[str, str]] = {}
    if not path:
        return keys
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, rest = line.strip().partition(":")
            secret, _, project = rest.partition(":")
            keys[key] = (secret, project or f"prj-{key}"[:32])
    return keys


def run(args: argparse.Namespace) -> int:
    """Serve the densefog API and run its worker until SIGTERM or SIGINT."""
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s"
    )
    scratch = None if args.data_dir else Path(tempfile.mkdtemp(prefix="jobharness-densefog-"))
    root = (scratch or Path(args.data_dir)).resolve()
    root.mkdir(parents=True, exist_ok=True)
    text, mariadb = _database_dsn(args, root)
    dsn: Dsn = parse_dsn(text)
    db = Database(dsn)
    app = App(DemoApp(args.action_delay), [load_module(name) for name in args.app])
    jobs = JobStore(db, args.try_period, args.try_max)
    jobs.setup()
    app.setup(db)
    options = WorkerOptions(
        args.pick_size, args.exec_size, args.exec_timeout, args.worker_tick, args.fail_broken_jobs
    )
    worker = Worker(db, app.job_function, options)
    api = DensefogApi(
        app.actions(), db, jobs, debug=args.debug, access_keys=_access_keys(args.access_keys_file)
    )
    server = make_http_server(args.host, args.port, api, verbose=args.verbose)
    if not args.no_worker:
        worker.start()
    port = server.port
    info: dict[str, Any] = {
        "backend": "densefog",
        "url": f"{base_url(args.host, port)}/",
        "port": port,
        "job_table": dsn.text,
        "db": dsn.shown(),
        "data_dir": str(root),
        "worker_tick": args.worker_tick,
        "exec_timeout": args.exec_timeout,
        "worker": not args.no_worker,
    }

    def on_stop() -> None:
        worker.stop()
        db.close()
        if mariadb is not None:
            mariadb.close()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)

    return serve_until_stopped(server, args, info, on_stop=on_stop)
