"""``jobharness serve saltant``: options, start-up and shutdown of the embedded server."""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import tempfile
from pathlib import Path

from jobharness.errors import ConfigurationError
from jobharness.servers.base import base_url, make_http_server, serve_until_stopped
from jobharness.servers.saltant.api import Services
from jobharness.servers.saltant.app import SaltantApp
from jobharness.servers.saltant.execution import Layout, Runtimes
from jobharness.servers.saltant.kinds import USERS
from jobharness.servers.saltant.store import Database
from jobharness.servers.saltant.users import UserSpec, ensure_user
from jobharness.servers.saltant.worker import WorkerPool

ADMIN = "admin"
DEFAULT_WORKERS = 8


def _user_spec(text: str) -> UserSpec:
    try:
        return UserSpec.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


PUBLISHED_WHILE_RUNNING = "published-while-running"
FAULTS = (PUBLISHED_WHILE_RUNNING,)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The saltant server's own options."""
    parser.add_argument(
        "--token", help="API token of the admin superuser (default: kept, or random)"
    )
    parser.add_argument("--admin-password", help="password of the admin user, for JWT login")
    parser.add_argument(
        "--user",
        action="append",
        default=[],
        type=_user_spec,
        metavar="NAME:PASSWORD[:TOKEN]",
        help="an extra (non-superuser) user; repeatable",
    )
    parser.add_argument(
        "--login-file",
        metavar="PATH",
        help='a JSON file {"username": ..., "password": ...}: an extra (non-superuser) user '
        "for JWT login whose password stays off the command line; announced in the ready file",
    )
    parser.add_argument(
        "--data-dir",
        help="keep the database, job logs and temp files here, also after a stop "
        "(default: a temporary directory removed at stop)",
    )
    parser.add_argument(
        "--workers", type=_positive, default=DEFAULT_WORKERS, help="jobs run at the same time"
    )
    parser.add_argument(
        "--container-runtime",
        help="Docker-compatible CLI (docker, podman) for docker container tasks",
    )
    parser.add_argument(
        "--singularity", help="Singularity/Apptainer CLI for singularity container tasks"
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        choices=FAULTS,
        help="reproduce a race of the real server for client tests (repeatable, off by "
        "default): published-while-running keeps every job 'published' while it runs, "
        "as when the server's own 'published' update lands after the worker's 'running'",
    )


def read_login_file(path: str) -> UserSpec:
    """The user of a ``--login-file``; a clear error for a missing or malformed file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"--login-file {path}: cannot read it: {exc}") from None
    if not isinstance(data, dict) or not all(
        isinstance(data.get(key), str) and data[key] for key in ("username", "password")
    ):
        raise ConfigurationError(
            f'--login-file {path}: expected {{"username": "...", "password": "..."}} '
            "with two non-empty strings"
        )
    return UserSpec(data["username"], data["password"])


def _setup_users(db: Database, args: argparse.Namespace, login: UserSpec | None) -> str:
    """Create or refresh the admin and the extra users; return the admin's token."""
    extra = [*args.user, *([login] if login else [])]
    for spec in extra:
        if spec.username == ADMIN:
            raise ConfigurationError("--user: the name 'admin' is reserved for the superuser")
    admin = ensure_user(db, UserSpec(ADMIN, args.admin_password, args.token, superuser=True))
    for spec in extra:
        ensure_user(db, spec)
    token = db.get(USERS, "id", admin["id"])
    assert token is not None
    return str(token["token"])


def run(args: argparse.Namespace) -> int:
    """Serve the saltant API and run its jobs until SIGTERM or SIGINT."""
    scratch = None if args.data_dir else Path(tempfile.mkdtemp(prefix="jobharness-saltant-"))
    root = (scratch or Path(args.data_dir)).resolve()
    db = Database(root / "saltant.sqlite3")
    login = read_login_file(args.login_file) if args.login_file else None
    token = _setup_users(db, args, login)
    secret = db.meta("jwt_secret", secrets.token_hex(32))
    layout = Layout(root)
    pool = WorkerPool(
        db,
        layout,
        args.workers,
        Runtimes(args.container_runtime, args.singularity),
        published_while_running=PUBLISHED_WHILE_RUNNING in args.fault,
    )
    app = SaltantApp(Services(db, pool, secret))
    server = make_http_server(args.host, args.port, app, verbose=args.verbose)
    pool.start()
    port = server.port
    info = {
        "backend": "saltant",
        "url": f"{base_url(args.host, port)}/api/",
        "port": port,
        "token": token,
        "username": ADMIN,
        "logs_dir": str(root / "logs"),
    }
    if login is not None:
        info.update(login_username=login.username, login_password=login.password)

    def on_stop() -> None:
        pool.stop()
        db.close()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)

    return serve_until_stopped(server, args, info, on_stop=on_stop)
