"""Running one command: ``bash -c`` as a local process in its own process group.

Each command runs in the request's working directory with no stdin, its own
session (so its whole process group can be killed at once), and resource
limits set by ``ulimit`` before the command starts: address space (memory),
CPU time, processes (``RLIMIT_NPROC``, off by default because it counts every
process of the user and root is exempt from it) and no core dumps.

Output goes to anonymous temporary files rather than pipes, so a background
process that keeps the output open cannot hold the request; the process
group leader is left unreaped (a zombie) until :meth:`ProcessGroups.kill_all`
so its PID, which is the group's id, cannot be reused while the group may be
signalled.
"""

from __future__ import annotations

import contextlib
import math
import os
import select
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO


@dataclass(frozen=True)
class Limits:
    """Resource limits of a command; -1 means no limit."""

    memory: int = 100_000_000
    cpu: int = 300
    processes: int = -1

    def ulimit_options(self) -> list[str]:
        """bash ``ulimit`` options setting these limits (soft and hard) and no core dumps."""
        options = ["-c", "0"]
        if self.memory >= 0:
            options += ["-v", str(max(1, self.memory // 1024))]
        if self.cpu >= 0:
            options += ["-t", str(self.cpu)]
        if self.processes >= 0:
            options += ["-u", str(self.processes)]
        return options

    def argv(self, command: str) -> list[str]:
        """The argv running ``command`` with ``bash -c`` under these limits.

        A first bash sets the limits and ``exec``s the command's bash, so the
        limits are in place before the command starts, with no Python code run
        between ``fork`` and ``exec`` (unsafe in a threaded server).
        """
        setup = f'ulimit {" ".join(self.ulimit_options())} && exec bash -c "$1"'
        return ["bash", "-c", setup, "bash", command]


@dataclass(frozen=True)
class Outcome:
    """How a process ended: its exit code (128 + N when killed by signal N) or a timeout."""

    exit_code: int | None
    stdout: bytes
    stderr: bytes

    @property
    def timed_out(self) -> bool:
        """True when the process was killed by its timeout."""
        return self.exit_code is None


class ProcessGroups:
    """The process groups of running commands, so they can all be killed at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[int, subprocess.Popen[bytes]] = {}

    def add(self, process: subprocess.Popen[bytes]) -> None:
        """Track ``process`` (a group leader)."""
        with self._lock:
            self._running[process.pid] = process

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        """SIGKILL the whole group of ``process`` and reap the leader, if still tracked.

        Each group is killed once: after its leader is reaped, its id may be reused.
        """
        with self._lock:
            tracked = self._running.pop(process.pid, None) is process
        if tracked:
            _kill_group(process)

    def kill_all(self) -> None:
        """SIGKILL every tracked group (server stop)."""
        with self._lock:
            running = list(self._running.values())
            self._running.clear()
        for process in running:
            _kill_group(process)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        process.wait()


def _exit_code(info: os.waitid_result | None) -> int | None:
    if info is None:
        return None
    if info.si_code == os.CLD_EXITED:
        return int(info.si_status)
    return 128 + int(info.si_status)


def _peek_exit(pid: int, block: bool) -> os.waitid_result | None:
    """The exit status of ``pid`` without reaping it (None while it runs)."""
    flags = os.WEXITED | os.WNOWAIT | (0 if block else os.WNOHANG)
    return os.waitid(os.P_PID, pid, flags)


def _wait_exit(pid: int, seconds: float) -> os.waitid_result | None:
    """Wait at most ``seconds`` for ``pid`` to exit; its status or None, leaving it unreaped."""
    if hasattr(os, "pidfd_open"):
        fd = os.pidfd_open(pid)
        try:
            poller = select.poll()
            poller.register(fd, select.POLLIN)
            if poller.poll(max(0.0, seconds) * 1000):
                return _peek_exit(pid, block=True)
            return None
        finally:
            os.close(fd)
    deadline = time.monotonic() + seconds
    while True:  # pragma: no cover - platforms without pidfd
        info = _peek_exit(pid, block=False)
        if info is not None or time.monotonic() >= deadline:
            return info
        time.sleep(0.005)


def _read(stream: IO[bytes]) -> bytes:
    stream.seek(0)
    return stream.read()


def run(
    command: str,
    cwd: Path,
    env: Mapping[str, str],
    wait: float,
    limits: Limits,
    groups: ProcessGroups,
    started: Callable[[subprocess.Popen[bytes]], None] = lambda _: None,
) -> Outcome:
    """Run ``bash -c command``; kill its whole group if it is still running after ``wait`` s.

    On a normal exit the group is left alone (its leader is not reaped) so
    background processes live on until the caller kills the group; on a
    timeout the group is killed at once.
    """
    if not math.isfinite(wait) or wait < 0:
        raise ValueError(f"wait must be a finite number >= 0, got {wait!r}")
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(
            limits.argv(command),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
        groups.add(process)
        started(process)
        status = _wait_exit(process.pid, wait)
        if status is None:
            groups.kill(process)
            return Outcome(None, b"", b"")
        return Outcome(_exit_code(status), _read(out), _read(err))
