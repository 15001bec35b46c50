"""``jobharness serve sshd``: a private Debian sshd on 127.0.0.1 for the terminal backend.

The server makes its files (:mod:`.layout`), the test account
(:mod:`.account`, as root), starts ``sshd -D`` as its child, waits until the
port accepts connections and announces itself in its ready file (mode 0600:
it holds the password). On SIGTERM or SIGINT it stops sshd and removes a
temporary data directory. It runs through the launcher like every embedded
server, so sshd and every session it started die with the run.

The ready file holds: ``backend``, ``url`` (``ssh://user@host:port``),
``host``, ``port``, ``user``, ``password`` (``None`` when the account has no
password we know), ``client_key``, ``known_hosts``, ``host_key`` (the public
key), ``log_file`` (sshd's log: one ``Accepted ... for USER`` line per
login), ``data_dir``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from jobharness.errors import ConfigurationError, EmbeddedServerError
from jobharness.servers.base import announce_ready, on_stop_signal
from jobharness.servers.launcher import free_port
from jobharness.servers.sshd.account import DEFAULT_USER, Account, current_account, ensure_account
from jobharness.servers.sshd.layout import (
    Layout,
    check_reachable,
    public_key,
    write_config,
    write_files,
)

SYSTEM_PATH = os.pathsep.join(
    ["/usr/sbin", "/usr/bin", "/sbin", "/bin", os.environ.get("PATH", "")]
)
PRIVSEP_DIR = Path("/run/sshd")  # sshd refuses to start as root without it
START_TIMEOUT = 20.0
BIND_ATTEMPTS = 5
STOP_GRACE = 5.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The sshd server's own options (``--host``, ``--port``, ``--ready-file`` are common)."""
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="keep keys, configuration and log here, also after a stop "
        "(default: a temporary directory removed at stop)",
    )
    parser.add_argument(
        "--user",
        help=f"the account clients log in as (default: {DEFAULT_USER} as root, made if missing; "
        "the current user otherwise)",
    )
    parser.add_argument("--sshd", help="the sshd program (default: found in the sbin directories)")
    parser.add_argument(
        "--max-sessions",
        type=int,
        default=64,
        help="channels one connection may open, multiplexed commands (default 64)",
    )


def _account(args: argparse.Namespace) -> Account:
    if os.geteuid() != 0:
        if args.user and args.user != current_account().name:
            raise ConfigurationError(
                f"--user {args.user}: only root can log in another user; "
                f"running as {current_account().name}"
            )
        return current_account()
    name = args.user or DEFAULT_USER
    if name == "root":
        raise ConfigurationError("--user root: the embedded sshd never logs in root")
    return ensure_account(name)


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


def _listening(log_file: Path, offset: int) -> bool:
    """True once sshd logged that it listens (so the open port is its own)."""
    with log_file.open("rb") as log:
        log.seek(offset)
        return b"Server listening on" in log.read()


def _start_sshd(program: str, layout: Layout, host: str, port: int) -> subprocess.Popen[bytes]:
    """Start sshd on ``port`` and wait until it accepts; raise if it exits first."""
    layout.log_file.touch()
    offset = layout.log_file.stat().st_size
    process = subprocess.Popen(
        [program, "-D", "-f", str(layout.config), "-E", str(layout.log_file)],
        stdin=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            with layout.log_file.open("rb") as log:
                log.seek(offset)
                text = log.read().decode("utf-8", errors="replace").strip()
            raise EmbeddedServerError(f"sshd exited with status {process.returncode}: {text}")
        if _listening(layout.log_file, offset) and _port_open(host, port):
            return process
        time.sleep(0.02)
    process.kill()
    process.wait()
    raise EmbeddedServerError(f"sshd did not accept connections on port {port} in time")


def _serve(process: subprocess.Popen[bytes], stopping: threading.Event) -> int:
    """Wait until ``stopping`` is set (then stop sshd) or until sshd exits; return the status."""
    while not stopping.is_set() and process.poll() is None:
        stopping.wait(0.2)
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_GRACE)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        return 0
    print(f"jobharness: sshd exited with status {process.returncode}", file=sys.stderr)
    return 1


def run(args: argparse.Namespace) -> int:
    """Serve a private sshd until SIGTERM or SIGINT."""
    program = args.sshd or shutil.which("sshd", path=SYSTEM_PATH)
    if program is None:
        raise ConfigurationError(
            "sshd is not installed (Debian: apt-get install openssh-server; ./dev.sh setup)"
        )
    account = _account(args)
    scratch = None if args.data_dir else Path(tempfile.mkdtemp(prefix="jobharness-sshd-"))
    layout = Layout((scratch or args.data_dir).resolve())
    if os.geteuid() == 0:
        PRIVSEP_DIR.mkdir(mode=0o755, parents=True, exist_ok=True)
    process: subprocess.Popen[bytes] | None = None
    try:
        for attempt in range(BIND_ATTEMPTS):
            port = args.port or free_port(args.host)
            write_files(layout, args.host, port)
            check_reachable(layout.authorized_keys, account.name)
            write_config(
                layout,
                args.host,
                port,
                account.name,
                password_login=account.password is not None,
                max_sessions=args.max_sessions,
                verbose=args.verbose,
            )
            try:
                process = _start_sshd(program, layout, args.host, port)
                break
            except EmbeddedServerError:
                if args.port or attempt == BIND_ATTEMPTS - 1:
                    raise
        assert process is not None
        info = {
            "backend": "sshd",
            "url": f"ssh://{account.name}@{args.host}:{port}",
            "host": args.host,
            "port": port,
            "user": account.name,
            "password": account.password,
            "client_key": str(layout.client_key),
            "known_hosts": str(layout.known_hosts),
            "host_key": public_key(layout.host_key),
            "log_file": str(layout.log_file),
            "data_dir": str(layout.root),
        }
        # the stop signal is ours before anyone learns that we are ready: a SIGTERM just
        # after the announcement must stop us cleanly, not kill us (-15)
        stopping = threading.Event()
        on_stop_signal(stopping.set)
        announce_ready(args.ready_file, info)  # a private file: it holds the password
        return _serve(process, stopping)
    finally:
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
