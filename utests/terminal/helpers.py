"""Helpers of the terminal utests: processes by process group, polling, the sshd log."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from jobharness.backends.terminal import TERMINAL_TARGET
from jobharness.settings import resolve
from jobharness.targets import Target, open_target

SYSTEM_PATH = os.pathsep.join(
    ["/usr/sbin", "/usr/bin", "/sbin", "/bin", os.environ.get("PATH", "")]
)
WITHIN = 30.0  # generous: only the outcome matters, never how fast


def missing_openssh() -> str | None:
    """Why the ssh tests cannot run, or None when sshd, ssh and ssh-keygen are installed."""
    for program in ("sshd", "ssh", "ssh-keygen"):
        if shutil.which(program, path=SYSTEM_PATH) is None:
            return f"{program} is not installed (Debian: openssh-server; ./dev.sh setup)"
    return None


@contextlib.contextmanager
def embedded_sshd() -> Iterator[Target]:
    """The embedded sshd as a target, stopped at the end (never a configured host: tests read
    its log); the test is skipped when OpenSSH is not installed."""
    reason = missing_openssh()
    if reason:
        pytest.skip(reason)
    settings = {setting.name: resolve(setting, environ={}) for setting in TERMINAL_TARGET.settings}
    target = open_target(TERMINAL_TARGET, settings)
    try:
        yield target
    finally:
        target.close()


def group_members(pgid: int, *, zombies: bool = False) -> list[int]:
    """The live processes of process group ``pgid`` on this machine (the sshd is local).

    With ``zombies``, the ended but not yet reaped ones count too (a signal
    to the group still "succeeds" while one is left).
    """
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and (zombies or fields[0] not in (b"Z", b"X")):
            members.append(int(entry))
    return members


def eventually(condition: Callable[[], object], within: float = WITHIN) -> None:
    """Poll ``condition()`` until it is true; fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"still not true after {within:g} s: {condition}"
        time.sleep(0.05)


def logins(log_file: str | Path, user: str) -> int:
    """How many logins of ``user`` the sshd log shows."""
    text = Path(log_file).read_text(encoding="utf-8", errors="replace")
    return len(re.findall(rf"Accepted \S+ for {re.escape(user)} ", text))


def all_command_lines() -> str:
    """Every process's command line on this machine, and its environment where readable."""
    seen = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        for name in ("cmdline", "environ"):
            try:
                seen.append(Path(f"/proc/{entry}/{name}").read_bytes().decode(errors="replace"))
            except OSError:
                continue
    return "\n".join(seen)
