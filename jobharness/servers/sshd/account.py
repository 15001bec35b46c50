"""The test account an embedded sshd logs its clients in as.

Run as root, the server logs clients in as a dedicated account
(:data:`DEFAULT_USER`), never as root: its own home, ``/bin/bash`` as shell
and no start-up files, so a command through ssh starts in a few
milliseconds. The account is made on first use and kept, marked as ours in
its GECOS field; an account of the same name without the mark is never
touched (it gets key logins only).

Many servers may run at once (pytest-xdist workers, pabot processes) and
they share the account, so they share its password too: it is made once,
kept in a root-only file (:data:`STATE_DIR`) and set with ``chpasswd`` (on
its standard input, never on a command line) only when that file is made.
A server started later reads the same password, so it never breaks the
logins of one already running. Each server still has its own client key.

Run as another user, the server can only log in that user, by key.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from jobharness.errors import EmbeddedServerError
from jobharness.privatefiles import write_private

DEFAULT_USER = "jhterminal"
MARK = "jobharness terminal test account"
STATE_DIR = Path("/var/lib/jobharness/sshd")
SHELL = "/bin/bash"
COMMAND_TIMEOUT = 60.0
SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class Account:
    """Who clients log in as: name, home, and the password (``None``: key logins only)."""

    name: str
    home: str
    password: str | None = field(default=None, repr=False)
    managed: bool = False


def _run(command: list[str], stdin: str | None = None) -> None:
    done = subprocess.run(
        command,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
        env={"PATH": SYSTEM_PATH, "LC_ALL": "C"},
    )
    if done.returncode != 0:
        raise EmbeddedServerError(
            f"{command[0]} failed with status {done.returncode}: {done.stderr.strip()}"
        )


@contextlib.contextmanager
def _locked(state_dir: Path) -> Iterator[None]:
    """Hold the lock that makes account and password changes one server at a time."""
    state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    with (state_dir / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _create(name: str) -> None:
    """Make the account: a home with no start-up files, bash, the mark."""
    with tempfile.TemporaryDirectory(prefix="jobharness-skel-") as empty_skel:
        _run(
            [
                *("useradd", "--create-home", "--skel", empty_skel),
                *("--shell", SHELL, "--comment", MARK, name),
            ]
        )


def _read_password(path: Path) -> str | None:
    with contextlib.suppress(FileNotFoundError):
        text = path.read_text(encoding="utf-8").strip()
        return text or None
    return None


def _new_password(name: str, path: Path) -> str:
    """Make a password, keep it in ``path`` (0600) and set it with chpasswd."""
    password = secrets.token_urlsafe(18)
    write_private(path, password + "\n")
    _run(["chpasswd"], stdin=f"{name}:{password}\n")
    return password


def ensure_account(name: str = DEFAULT_USER, state_dir: Path = STATE_DIR) -> Account:
    """The test account ``name`` with its password, made (as root) if it does not exist."""
    if os.geteuid() != 0:
        return current_account()
    if shutil.which("useradd", path=SYSTEM_PATH) is None:
        raise EmbeddedServerError("useradd is not installed: cannot make the test account")
    with _locked(state_dir):
        created = False
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            _create(name)
            entry = pwd.getpwnam(name)
            created = True
        if MARK not in entry.pw_gecos:
            return Account(name, entry.pw_dir)
        path = state_dir / f"{name}.password"
        password = _read_password(path)
        if password is None:
            password = _new_password(name, path)
        elif created:
            _run(["chpasswd"], stdin=f"{name}:{password}\n")
        return Account(name, entry.pw_dir, password, managed=True)


def current_account() -> Account:
    """The user this process runs as (key logins only)."""
    entry = pwd.getpwuid(os.geteuid())
    return Account(entry.pw_name, entry.pw_dir)
