"""The launcher: every process a run starts, started, watched and stopped the same way.

:class:`ManagedProcess` runs one command in a private work directory, its
output in a log file there, and waits until a readiness check
(:mod:`jobharness.servers.readiness`) sees it ready. It is stopped by its
process group's id: SIGTERM, then SIGKILL after a grace period. A small
supervisor (:mod:`jobharness.servers.supervisor`) sits between the launcher
and the command, so whatever the command started dies with the run, also
when the Python process that launched it is killed.

:class:`ProcessGroup` starts processes one after the other (a later command
may use what an earlier one announced) and stops them together.
:class:`EmbeddedServer` is a managed ``jobharness serve <backend>``.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from jobharness.errors import EmbeddedServerError
from jobharness.resources import Closing
from jobharness.servers import supervisor
from jobharness.servers.readiness import (
    LOOPBACK,
    FileAppears,
    LogLine,
    PortOpen,
    ReadinessCheck,
)

__all__ = [
    "EmbeddedServer",
    "FileAppears",
    "LogLine",
    "ManagedProcess",
    "PortOpen",
    "ProcessGroup",
    "ReadinessCheck",
    "free_port",
]

POLL_INTERVAL = 0.02
STOP_GRACE = 5.0
SWEEP_MARGIN = 3.0  # how long past the grace the supervisor may take to end and reap everything
TAIL_LINES = 20
KEPT_LOG_LINES = 200  # how much of the log :attr:`ManagedProcess.last_log` keeps
TAIL_BYTES = 256 * 1024
READY_FILE = "ready.json"  # where an embedded server announces itself, in its work directory

ProcessT = TypeVar("ProcessT", bound="ManagedProcess")


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port on ``host`` that was free a moment ago, for a server's command line."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _supervised(command: Sequence[str], lifeline: int, pid_pipe: int, grace: float) -> list[str]:
    """``command`` run by the supervisor, in isolated mode without site for a fast start."""
    return [
        sys.executable,
        "-I",
        "-S",
        str(supervisor.__file__),
        "--fd",
        str(lifeline),
        "--pid-fd",
        str(pid_pipe),
        "--grace",
        f"{grace:g}",
        "--",
        *command,
    ]


def _describe_status(returncode: int) -> str:
    if returncode < 0:
        with contextlib.suppress(ValueError):
            return f"was killed by {signal.Signals(-returncode).name}"
        return f"was killed by signal {-returncode}"
    return f"exited with status {returncode}"


class _Launched:
    """A running supervisor and what stopping it takes; the finalizer holds this, not the owner."""

    def __init__(self, popen: subprocess.Popen[bytes], lifeline: int, grace: float) -> None:
        self.popen = popen
        self.lifeline: int | None = lifeline
        self.grace = grace
        self.pid: int | None = None

    def halt(self) -> None:
        """SIGTERM the process group, SIGKILL it if the supervisor has not ended it in time."""
        try:
            if self.popen.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGTERM)
                try:
                    self.popen.wait(self.grace + SWEEP_MARGIN)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(self.popen.pid, signal.SIGKILL)
                    self.popen.wait()
        finally:
            if self.lifeline is not None:
                os.close(self.lifeline)
                self.lifeline = None


class ManagedProcess(Closing):
    """One command run for the test run: started, checked ready, stopped by its group's id.

    ``command`` runs with ``cwd`` (default: the work directory) and the
    current environment plus ``env`` (and ``PYTHONUNBUFFERED=1``); its
    stdout and stderr go to :attr:`log_file`. ``workdir`` is a private
    directory: when None, one is created (``jobharness-<name>-...`` in the
    temporary directory) and removed at :meth:`stop`; a given one is kept.

    :meth:`start` returns once ``ready`` sees the process ready, with what it
    found in :attr:`info`. ``with`` starts and stops it. A forgotten process
    is stopped when the object is collected or the interpreter exits, and
    whatever it runs dies with the Python process that started it, however
    that process ends.
    """

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        *,
        ready: ReadinessCheck,
        workdir: str | Path | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str | Path | None = None,
        startup_timeout: float = 30.0,
        stop_grace: float = STOP_GRACE,
    ) -> None:
        self.name = name
        self.command = list(command)
        self.ready = ready
        self.env = dict(env) if env is not None else None
        self.cwd = Path(cwd) if cwd is not None else None
        self.startup_timeout = startup_timeout
        self.stop_grace = stop_grace
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix=f"jobharness-{name}-"))
        if self._own_workdir:
            weakref.finalize(self, shutil.rmtree, self.workdir, ignore_errors=True)
        self.info: dict[str, Any] = {}
        self.last_log = ""
        self._last_returncode: int | None = None
        self._launched: _Launched | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None

    @property
    def label(self) -> str:
        """How messages name the process."""
        return self.name

    @property
    def log_file(self) -> Path:
        """Where the process's stdout and stderr go."""
        return self.workdir / f"{self.name}.log"

    @property
    def running(self) -> bool:
        """True from a successful :meth:`start` until the process ends or is stopped."""
        return self._launched is not None and self._launched.popen.poll() is None

    @property
    def pid(self) -> int | None:
        """The command's PID while it runs."""
        return self._launched.pid if self.running and self._launched else None

    @property
    def returncode(self) -> int | None:
        """How the last run ended: its exit status, or -N if signal N killed it; None while it runs.

        A command that ends on SIGTERM by itself (rather than by the SIGKILL
        after the grace period) shows its own status here.
        """
        if self._launched is not None:
            return self._launched.popen.poll()
        return self._last_returncode

    @property
    def group_id(self) -> int | None:
        """The id of the process group everything started for the command runs in."""
        return self._launched.popen.pid if self.running and self._launched else None

    def start(self: ProcessT) -> ProcessT:
        """Start the command and wait until it is ready; a no-op while it runs.

        Raises :class:`EmbeddedServerError` (with the exit status and the end
        of the log) when it exits before it is ready or is not ready within
        ``startup_timeout``; it is stopped then.
        """
        if self.running:
            return self
        self._halt()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.ready.begin(self.workdir, self.log_file)
        deadline = time.monotonic() + self.startup_timeout
        pid_read = self._launch()
        try:
            assert self._launched is not None
            self._launched.pid = self._read_pid(pid_read, deadline)
            self.info = self._await_ready(deadline)
        except BaseException:
            self.stop()
            raise
        finally:
            os.close(pid_read)
        return self

    def _launch(self) -> int:
        """Start the supervisor; the pipe's read end on which it reports the command's PID."""
        lifeline_read, lifeline_write = os.pipe()
        pid_read, pid_write = os.pipe()
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **(self.env or {})}
        command = _supervised(self.command, lifeline_read, pid_write, self.stop_grace)
        try:
            with self.log_file.open("ab") as log:
                popen = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    cwd=self.cwd or self.workdir,
                    start_new_session=True,
                    pass_fds=(lifeline_read, pid_write),
                )
        except BaseException as exc:
            os.close(lifeline_write)
            os.close(pid_read)
            if isinstance(exc, OSError):
                raise EmbeddedServerError(f"cannot start {self.label}: {exc}") from exc
            raise
        finally:
            os.close(lifeline_read)
            os.close(pid_write)
        self._launched = _Launched(popen, lifeline_write, self.stop_grace)
        # registered after the work directory's finalizer, so it runs before it
        self._finalizer = weakref.finalize(self, self._launched.halt)
        return pid_read

    def _read_pid(self, pid_read: int, deadline: float) -> int | None:
        """The command's PID as the supervisor reports it; None if it could not start it."""
        data = b""
        while time.monotonic() < deadline:
            readable, _, _ = select.select([pid_read], [], [], deadline - time.monotonic())
            if not readable:
                break
            chunk = os.read(pid_read, 64)
            if not chunk:
                break
            data += chunk
            if data.endswith(b"\n"):
                return int(data)
        return None

    def _await_ready(self, deadline: float) -> dict[str, Any]:
        assert self._launched is not None
        popen = self._launched.popen
        while True:
            if popen.poll() is not None:
                raise EmbeddedServerError(
                    f"{self.label} {_describe_status(popen.returncode)} before it was ready; "
                    f"its log ends:\n{self.log_tail()}"
                )
            info = self.ready.poll()
            if info is not None:
                return info
            if time.monotonic() >= deadline:
                raise EmbeddedServerError(
                    f"{self.label} was not ready within {self.startup_timeout:g} s "
                    f"(waiting for {self.ready.describe()}); its log ends:\n{self.log_tail()}"
                )
            time.sleep(POLL_INTERVAL)

    def log_tail(self, lines: int = TAIL_LINES) -> str:
        """The last ``lines`` lines of the log (of :attr:`last_log` once the log is removed)."""
        try:
            with self.log_file.open("rb") as log:
                size = log.seek(0, os.SEEK_END)
                log.seek(max(0, size - TAIL_BYTES))
                text = log.read().decode("utf-8", errors="replace")
        except OSError:
            text = self.last_log
            if not text:
                return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def _halt(self) -> None:
        """Stop the process (if started) and keep the end of its log; the work directory stays."""
        launched, self._launched = self._launched, None
        if launched is None:
            return
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        try:
            launched.halt()
        finally:
            self._last_returncode = launched.popen.returncode
            self.last_log = self.log_tail(KEPT_LOG_LINES)
            self.info = {}

    def stop(self) -> None:
        """Stop the process group (SIGTERM, SIGKILL after ``stop_grace``); remove an own workdir.

        Calling it again does nothing more. The end of the log stays in :attr:`last_log`.
        """
        try:
            self._halt()
        finally:
            if self._own_workdir:
                shutil.rmtree(self.workdir, ignore_errors=True)

    def restart(self: ProcessT) -> ProcessT:
        """Stop the process, keeping its work directory, and start it again."""
        self._halt()
        return self.start()

    def close(self) -> None:
        """The same as :meth:`stop`."""
        self.stop()

    def __enter__(self: ProcessT) -> ProcessT:
        return self.start()

    def __repr__(self) -> str:
        state = f"pid {self.pid}" if self.running else "stopped"
        return f"<{type(self).__name__} {self.name!r} {state}>"


class ProcessGroup(Closing):
    """Processes started one after the other and stopped together, the last first.

    A failure while starting (or restarting) one stops those already started.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._processes: list[ManagedProcess] = []

    @property
    def processes(self) -> tuple[ManagedProcess, ...]:
        """The processes in the order they were started."""
        return tuple(self._processes)

    def start(self, process: ProcessT) -> ProcessT:
        """Start ``process`` (once the earlier ones are ready) and add it to the group."""
        try:
            process.start()
        except BaseException:
            self.stop()
            raise
        if process not in self._processes:
            self._processes.append(process)
        return process

    def restart(self, process: ProcessT) -> ProcessT:
        """Stop ``process`` and start it again, keeping its work directory and its place."""
        if process not in self._processes:
            raise ValueError(f"{process.label} is not in process group {self.name!r}")
        try:
            return process.restart()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop every process, the last started first; the first error is raised at the end."""
        processes, self._processes = self._processes, []
        error: BaseException | None = None
        for process in reversed(processes):
            try:
                process.stop()
            except BaseException as exc:
                error = error or exc
        if error is not None:
            raise error

    def log_tails(self, lines: int = TAIL_LINES) -> dict[str, str]:
        """The end of each process's log, by name, for a failure report."""
        return {process.name: process.log_tail(lines) for process in self._processes}

    def close(self) -> None:
        """The same as :meth:`stop`."""
        self.stop()


class EmbeddedServer(ManagedProcess):
    """An embedded server (``jobharness serve <backend>``) on 127.0.0.1: start, read its URL, stop.

    ``info`` is what the server announced (``url``, ``port`` and
    backend-specific keys such as a token or a CA file).
    """

    def __init__(
        self,
        backend: str,
        args: Sequence[str] = (),
        *,
        startup_timeout: float = 30.0,
        env: Mapping[str, str] | None = None,
        workdir: str | Path | None = None,
    ) -> None:
        self.backend = backend
        self.args = list(args)
        super().__init__(
            backend,
            [],
            ready=FileAppears(READY_FILE, parse_json=True),
            workdir=workdir,
            env=env,
            startup_timeout=startup_timeout,
        )
        self.command = self._serve_command()

    @property
    def label(self) -> str:
        """How messages name the server."""
        return f"embedded {self.backend} server"

    @property
    def log_file(self) -> Path:
        """Where the server's stdout and stderr go."""
        return self.workdir / "server.log"

    @property
    def url(self) -> str:
        """The base URL the server announced."""
        if not self.info:
            raise EmbeddedServerError(f"embedded {self.backend} server is not running")
        return str(self.info["url"])

    @property
    def _proc(self) -> subprocess.Popen[bytes] | None:
        """The running server's supervisor, whose exit status is the server's (older callers)."""
        return self._launched.popen if self._launched is not None else None

    def _serve_command(self) -> list[str]:
        ready = self.workdir / READY_FILE
        return [
            *(sys.executable, "-m", "jobharness", "serve", self.backend),
            *("--host", LOOPBACK, "--port", "0", "--ready-file", str(ready)),
            *self.args,
        ]

    def start(self) -> EmbeddedServer:
        """Start the server (with the current :attr:`args`) and wait for its ready handshake."""
        if not self.running:
            self.command = self._serve_command()
        return super().start()
