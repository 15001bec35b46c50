"""A background command as a job of the shared model.

The command runs in the wrapper like any other; its standard output and
standard error go to two files of the terminal's scratch directory (so a
job nobody reads never blocks), and its standard input stays open as the
wrapper's lifeline. Refreshing reads what the files gained since the last
time and looks for the wrapper's status lines.

Native states and how they map:

==============  ==============================================================
``running``     running: the header was seen, no status yet
``exited``      succeeded (status 0) or failed (any other status)
``killed``      a signal ended it (negative status): cancelled when the cancel
                was ours, failed otherwise
``cancelled``   cancelled before it reported a status (the remote SIGKILL
                follows ``kill_grace`` later, whatever the connection does)
``lost``        error: the local side ended without a status (connection lost)
==============  ==============================================================

:meth:`TerminalJob.cancel` closes the lifeline: the process group gets
SIGTERM, then SIGKILL after the terminal's ``kill_grace``.
"""

from __future__ import annotations

import contextlib
import os
import select
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING

from jobharness.backends.terminal.errors import TerminalError, signal_number
from jobharness.backends.terminal.prompts import Responder
from jobharness.backends.terminal.protocol import (
    Trailer,
    parse_header,
    parse_trailer,
    stdout_end,
)
from jobharness.backends.terminal.results import CommandResult
from jobharness.deadline import Deadline, current
from jobharness.jobs import Job, JobResult, JobState
from jobharness.redaction import snippet

if TYPE_CHECKING:
    from jobharness.backends.terminal.client import Terminal

START_POLL = 0.005
CANCEL_POLL = 0.02
EXIT_WAIT = 0.5


class TerminalJob(Job):
    """A command started in the background on a terminal target."""

    backend = "terminal"

    def __init__(
        self,
        terminal: Terminal,
        command: str,
        process: subprocess.Popen[bytes],
        nonce: str,
        files: tuple[Path, Path],
        *,
        name: str = "",
        default_timeout: float,
    ) -> None:
        super().__init__(
            nonce,
            name=name,
            state=JobState.PENDING,
            native_state="starting",
            default_timeout=default_timeout,
        )
        self.terminal = terminal
        self.command = terminal.redact(command)
        self.process = process
        self.nonce = nonce
        self.stdout_file, self.stderr_file = files
        self.pgid: int | None = None
        self.started = time.monotonic()
        self._stderr = bytearray()
        self._body = 0
        self._trailer: Trailer | None = None
        self._stdout: bytes | None = None
        self._cancelled = False
        self._signalled: int | None = None
        self._status: int | None = None

    # -- start ----------------------------------------------------------------------------

    def _read_stderr(self) -> None:
        with self.stderr_file.open("rb") as err:
            err.seek(len(self._stderr))
            self._stderr += err.read()

    def await_start(self, responder: Responder, data: bytes, deadline: Deadline) -> None:
        """Answer the prompt hops until the header shows; then send ``data`` as the input."""
        seen = 0
        while self.pgid is None:
            # poll before reading: an exit seen here left all it printed for the read
            exited = self.process.poll() is not None
            self._read_stderr()
            found = parse_header(bytes(self._stderr), self.nonce)
            if found is not None:
                self.pgid, self._body = found
                break
            text = self._stderr[seen:].decode("utf-8", errors="replace")
            seen = len(self._stderr)
            for reply in responder.feed(text):
                self._write(reply, deadline)
            if exited:
                raise TerminalError(
                    f"{self._what()} could not start; it printed: "
                    f"{self.terminal.redact(snippet(bytes(self._stderr))) or '(nothing)'}"
                )
            if deadline.expired:
                raise TerminalError(f"{self._what()} did not start within {deadline.timeout:g} s")
            time.sleep(START_POLL)
        self._write(data, deadline)
        self._set_state(JobState.RUNNING, "running")

    def _write(self, data: bytes, deadline: Deadline) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        view = memoryview(data)
        while view:
            _, ready, _ = select.select([], [stdin], [], deadline.cap(0.05))
            if deadline.expired:
                raise TerminalError(f"{self._what()} did not take its input in time")
            if ready:
                try:
                    view = view[os.write(stdin.fileno(), view[: 64 * 1024]) :]
                except BrokenPipeError:
                    return

    def abandon(self) -> None:
        """Kill the local side of a job that did not start."""
        self._kill_local()
        self._stdout = b""
        self._release_files()
        self._set_state(JobState.ERROR, "lost")

    # -- state ----------------------------------------------------------------------------

    def _what(self) -> str:
        command = snippet(self.command, 80)
        return f"job {self.name or self.id} ({command!r}) on {self.terminal.describe()}"

    def _fetch_state(self) -> tuple[JobState, str]:
        if self._trailer is None:
            self._read_stderr()
            self._trailer = parse_trailer(bytes(self._stderr[self._body :]), self.nonce)
        if self._trailer is not None:
            exited = self.process.poll() is not None  # before the read, as in await_start
            out = self.stdout_file.read_bytes()
            end = stdout_end(out, self.nonce)
            if end is not None or exited:
                self._stdout = out[:end] if end is not None else out
                self._status = self._trailer.status
                self._finish()
                return self._final_state()
            return JobState.RUNNING, "running"
        if self.process.poll() is not None:
            self._read_stderr()
            self._trailer = parse_trailer(bytes(self._stderr[self._body :]), self.nonce)
            if self._trailer is not None:
                return self._fetch_state()
            self._stdout = self.stdout_file.read_bytes()
            self._finish()
            return self._ended_without_status()

        return JobState.RUNNING, "running"

    def _ended_without_status(self) -> tuple[JobState, str]:
        """The local side ended and the wrapper never reported: killed with its group, or lost.

        After a cancel (the lifeline closed) only the group's SIGKILL ends the
        wrapper without a report; after :meth:`signal` it is that signal.
        """
        if self._cancelled:
            self._status = -9
            return JobState.CANCELLED, "killed"
        if self._signalled is not None:
            self._status = -self._signalled
            return JobState.FAILED, "killed"
        return JobState.ERROR, "lost"

    def _final_state(self) -> tuple[JobState, str]:
        status = self._status
        if status is not None and status < 0:
            return (JobState.CANCELLED if self._cancelled else JobState.FAILED), "killed"
        return (JobState.SUCCEEDED if status == 0 else JobState.FAILED), "exited"

    def _finish(self) -> None:
        """Close the lifeline (the wrapper is done with it) and reap the local side."""
        with contextlib.suppress(OSError):
            if self.process.stdin is not None:
                self.process.stdin.close()
        try:
            self.process.wait(EXIT_WAIT)
        except subprocess.TimeoutExpired:
            self._kill_local()
        self._release_files()

    def _release_files(self) -> None:
        """Keep the output in memory and remove the job's files (the job is final)."""
        with contextlib.suppress(OSError):
            self._read_stderr()
        for path in (self.stdout_file, self.stderr_file):
            path.unlink(missing_ok=True)

    def _kill_local(self) -> None:
        with contextlib.suppress(OSError):
            if self.process.stdin is not None:
                self.process.stdin.close()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, 9)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(EXIT_WAIT)

    # -- control --------------------------------------------------------------------------

    def _cancel(self) -> bool:
        """SIGTERM to the process group (the lifeline ends), SIGKILL after ``kill_grace``.

        Waits up to ``kill_grace`` plus a second (or the current deadline) to
        see how the command ended.
        """
        self.end_lifeline()
        deadline = Deadline(self.terminal.kill_grace + 1.0, "cancel")
        outer = current()
        if outer is not None and outer.end < deadline.end:
            deadline = outer
        while not self.refresh().is_final and not deadline.expired:
            deadline.sleep(CANCEL_POLL)
        if not self.done:
            self._kill_local()
            self._stdout = self.stdout_file.read_bytes() if self.stdout_file.exists() else b""
            self._release_files()
            self._set_state(JobState.CANCELLED, "cancelled")
        return True

    def end_lifeline(self) -> None:
        """Start the cancel without waiting: the wrapper's lifeline ends (SIGTERM, then SIGKILL).

        :meth:`cancel` does this and then waits to see the job end; a
        terminal closing many jobs ends every lifeline first.
        """
        self._cancelled = True
        with contextlib.suppress(OSError):
            if self.process.stdin is not None:
                self.process.stdin.close()

    def signal(self, signal: str | int = "TERM") -> bool:
        """Send ``signal`` to the job's process group on the target; False if it is gone."""
        if self.pgid is None or self.done:
            return False
        number = signal_number(signal)
        if self.terminal.signal(self.pgid, number):
            self._signalled = number
            return True
        return False

    # -- results --------------------------------------------------------------------------

    @property
    def status(self) -> int | None:
        """The exit status (negative: the signal), once final; None before or when unknown."""
        return self._status

    def output(self) -> str:
        """Standard output so far (all of it once the job is final)."""
        return self.stdout_bytes().decode("utf-8", errors="replace")

    def exit_code(self) -> int | None:
        """The exit status (negative: the signal) once final, as :attr:`status`."""
        return self._status

    def failure_output(self) -> str | None:
        """Standard output, then standard error under a ``stderr:`` line, for failure texts."""
        out, err = self.output().rstrip("\n"), self.stderr().rstrip("\n")
        if err:
            out = f"{out}\nstderr:\n{err}" if out else f"stderr:\n{err}"
        return out or None

    def stdout_bytes(self) -> bytes:
        """Standard output so far, as bytes."""
        if self._stdout is not None:
            return self._stdout
        with contextlib.suppress(FileNotFoundError):
            out = self.stdout_file.read_bytes()
            end = stdout_end(out, self.nonce)
            return out if end is None else out[:end]
        return b""

    def stderr(self) -> str:
        """Standard error so far (without the wrapper's lines)."""
        if self._trailer is None and not self.done:
            with contextlib.suppress(FileNotFoundError):
                self._read_stderr()
        body = bytes(self._stderr[self._body :])
        if self._trailer is not None:
            body = body[: self._trailer.start]
        return body.decode("utf-8", errors="replace")

    @property
    def command_result(self) -> CommandResult:
        """Status, stdout and stderr as a :class:`CommandResult` (status None until final)."""
        return CommandResult(
            status=self._status,
            stdout_bytes=self.stdout_bytes(),
            stderr_bytes=self.stderr().encode(),
            command=self.command,
            pgid=self.pgid,
            duration=time.monotonic() - self.started,
        )

    def _build_result(self) -> JobResult:
        result = self.command_result
        error = None
        if self.state in (JobState.FAILED, JobState.ERROR):
            error = f"status {self._status}; stderr: {snippet(result.stderr) or '(empty)'}"
            if self.state is JobState.ERROR:
                error = f"the connection ended before the command reported a status; {error}"
        return JobResult(
            job_id=self.id,
            backend=self.backend,
            state=self.state,
            native_state=self.native_state,
            value=result if self.done else None,
            error=error,
            output=result.stdout,
            details={"status": self._status, "pgid": self.pgid, "command": self.command},
        )
