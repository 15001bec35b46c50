"""Looking at processes by PID: alive or gone, and who is in a process group."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterable

GONE_WITHIN = 30.0  # generous: only the outcome matters, never how fast


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            state = stat.read().rsplit(b")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in (b"Z", b"X")


def group_members(pgid: int) -> list[int]:
    """The live processes of process group ``pgid``."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] not in (b"Z", b"X"):
            members.append(int(entry))
    return members


def wait_gone(pids: Iterable[int], within: float = GONE_WITHIN) -> list[int]:
    """Poll until none of ``pids`` runs; those still running after ``within`` seconds."""
    left = list(pids)
    deadline = time.monotonic() + within
    while True:
        left = [pid for pid in left if alive(pid)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def wait_for(condition: Callable[[], object], within: float = GONE_WITHIN) -> None:
    """Poll ``condition()`` until it is true; fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"still not true after {within:g} s: {condition}"
        time.sleep(0.05)


def kill(pids: Iterable[int]) -> None:
    """SIGKILL ``pids`` that still run (a failed test's leftovers)."""
    for pid in pids:
        if alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
