"""One command's conversation over pipes: prompts, header, input, output, status.

A :class:`Channel` runs local program arguments (``ssh`` through the master,
or ``/bin/sh``) whose far end is the wrapper (or the bare prologue) of
:mod:`~jobharness.backends.terminal.protocol`. It answers the route's
prompt hops until the header shows the command's process group, sends the
input, and reads standard output and standard error apart until the
wrapper's status lines; every step ends by a :class:`~jobharness.deadline.Deadline`.

It reads in the calling thread (no thread of its own): output lines reach
``stream`` as they come, from the caller's thread. Closing its standard
input cancels the command (the wrapper's lifeline).

The local side is a plain child process, not a launcher-managed one: a
command lives for one call, and starting the launcher's supervisor for it
would cost more than the command. Nothing outlives the run through it: when
this process dies, the pipe closes, the wrapper's lifeline ends and the
command's process group is killed on the target (the ControlMaster itself
is launcher-managed and dies with the run too).
"""

from __future__ import annotations

import contextlib
import os
import selectors
import subprocess
from collections.abc import Callable, Sequence
from typing import IO

from jobharness.backends.terminal.errors import SessionBroken, TerminalError
from jobharness.backends.terminal.prompts import Responder
from jobharness.backends.terminal.protocol import (
    Trailer,
    parse_header,
    parse_trailer,
    stdout_end,
)
from jobharness.deadline import Deadline
from jobharness.redaction import Redactor, snippet

READ_SIZE = 256 * 1024
LEFTOVER_WAIT = 1.0  # how long a killed leftover may take to be reaped
END_WAIT = 0.15  # how long a finished command's local side may take to exit by itself
SLICE = 0.05  # longest single wait, so signals (Ctrl-C, Robot's timeout) can cut in

LineSink = Callable[[str], None]


class Channel:
    """A running local process whose far end speaks the wrapper's protocol."""

    def __init__(
        self,
        argv: Sequence[str],
        nonce: str,
        *,
        responder: Responder,
        redact: Redactor,
        what: str,
    ) -> None:
        self.nonce = nonce
        self.responder = responder
        self.redact = redact
        self.what = what
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.pgid: int | None = None
        self.body_start = 0  # where the command's own standard error starts
        self.trailer: Trailer | None = None
        self._tag = nonce.encode()
        self._status_tag = self._tag + b" status "
        self._out_end: int | None = None  # where the wrapper's nonce ends standard output
        self._pending = bytearray()
        self._released = False
        self._streamed = 0
        self.process = subprocess.Popen(
            list(argv),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self._selector = selectors.DefaultSelector()
        assert self.process.stdout and self.process.stderr and self.process.stdin
        for stream in (self.process.stdout, self.process.stderr):
            os.set_blocking(stream.fileno(), False)
            self._selector.register(stream, selectors.EVENT_READ)
        os.set_blocking(self.process.stdin.fileno(), False)
        self._open = 2

    # -- the pump -----------------------------------------------------------------------

    def _write_pending(self) -> None:
        stdin = self.process.stdin
        if not self._pending or stdin is None or stdin.closed:
            return
        try:
            written = os.write(stdin.fileno(), self._pending[:READ_SIZE])
        except BlockingIOError:
            return
        except OSError:  # the far end stopped reading (it ended)
            self._pending.clear()
            return
        del self._pending[:written]

    def _pump(self, deadline: Deadline, done: Callable[[], bool], stream: LineSink | None) -> bool:
        """Move data until ``done()``, both outputs end, or the deadline; return ``done()``."""
        stdin = self.process.stdin
        while not done():
            if self._open == 0 or deadline.expired:
                return done()
            if self._pending and stdin is not None and not stdin.closed:
                with contextlib.suppress(KeyError, ValueError):
                    self._selector.register(stdin, selectors.EVENT_WRITE)
            for key, _ in self._selector.select(deadline.cap(SLICE)):
                if key.fileobj is stdin:
                    self._write_pending()
                    if not self._pending:
                        self._selector.unregister(stdin)
                    continue
                self._read(key.fileobj, stream)  # type: ignore[arg-type]
        return True

    def _read(self, fileobj: IO[bytes], stream: LineSink | None) -> None:
        fd = fileobj.fileno()
        try:
            chunk = os.read(fd, READ_SIZE)
        except BlockingIOError:
            return
        if not chunk:
            self._selector.unregister(fileobj)
            self._open -= 1
            return
        if fileobj is self.process.stdout:
            start = max(0, len(self.stdout) - len(self._tag) + 1)  # a tag may straddle reads
            self.stdout += chunk
            if self._out_end is None and (found := self.stdout.find(self._tag, start)) >= 0:
                self._out_end = found
            if self.pgid is None:
                self._prompted(chunk)
            elif stream is not None:
                self._stream_lines(stream, final=False)
            return
        self.stderr += chunk
        if self.pgid is None:
            header = parse_header(bytes(self.stderr), self.nonce)
            if header is None:
                self._prompted(chunk)
            else:
                self.pgid, self.body_start = header

    def _prompted(self, chunk: bytes) -> None:
        """Show what a hop printed before the header to the responder; send its replies."""
        for reply in self.responder.feed(chunk.decode("utf-8", errors="replace")):
            self.send(reply)

    def _stream_lines(self, stream: LineSink, *, final: bool) -> None:
        end = stdout_end(bytes(self.stdout[self._streamed :]), self.nonce)
        stop = len(self.stdout) if end is None else self._streamed + end
        block = bytes(self.stdout[self._streamed : stop])
        cut = len(block) if final or end is not None else block.rfind(b"\n") + 1
        for line in block[:cut].decode("utf-8", errors="replace").splitlines():
            stream(line)
        self._streamed += cut

    # -- the steps ----------------------------------------------------------------------

    def send(self, data: bytes) -> None:
        """Queue ``data`` for the command's standard input (written while pumping)."""
        self._pending += data
        self._write_pending()

    def await_header(self, deadline: Deadline) -> int:
        """Answer prompts until the header; return the command's process group."""
        if not self._pump(deadline, lambda: self.pgid is not None, None):
            raise self._failure("did not start", deadline)
        assert self.pgid is not None
        return self.pgid

    def collect(self, deadline: Deadline, stream: LineSink | None = None) -> bool:
        """Read output until the status lines; False when the deadline passed first."""
        if stream is not None:  # lines that came with (or before) the header
            self._stream_lines(stream, final=False)
        ended = self._pump(deadline, self._finished, stream)
        if stream is not None:
            self._stream_lines(stream, final=ended)
        return ended

    def _finished(self) -> bool:
        if self.trailer is None and self.stderr.find(self._status_tag, self.body_start) >= 0:
            self.trailer = parse_trailer(bytes(self.stderr[self.body_start :]), self.nonce)
        return self.trailer is not None and self._out_end is not None

    def wait_exit(self, deadline: Deadline) -> int | None:
        """Read until both outputs end and the process exits; its exit status (None: in time)."""
        self._pump(deadline, lambda: False, None)
        with contextlib.suppress(subprocess.TimeoutExpired):
            return self.process.wait(max(deadline.remaining(), 0.001))
        return None

    def finish(self, deadline: Deadline) -> int | None:
        """Send what is queued, close the input, read to the end: the exit status (None: late)."""
        self._pump(deadline, lambda: not self._pending, None)
        self.close_input()
        return self.wait_exit(deadline)

    def close_input(self) -> None:
        """Close the command's standard input: end of data, or (wrapper) cancel the command."""
        self._pending.clear()
        stdin = self.process.stdin
        if stdin is not None and not stdin.closed:
            if not self._released:
                with contextlib.suppress(KeyError, ValueError):
                    self._selector.unregister(stdin)
            with contextlib.suppress(OSError):
                stdin.close()

    def kill(self) -> None:
        """Kill the local process (and its local group) at once."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, 9)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(1.0)

    def close(self, wait: float = END_WAIT) -> None:
        """Release the pipes and the process; it may end by itself for ``wait`` s, or is killed."""
        leftover = self.release()
        if leftover is not None:
            try:
                leftover.wait(wait)
            except subprocess.TimeoutExpired:
                self.kill()

    def release(self) -> subprocess.Popen[bytes] | None:
        """Close the input and the pipes; the local process if it still runs (to reap later).

        A command that has reported its status leaves its local side (the
        ssh client) to end by itself, which takes a moment: waiting for it
        would add that moment to every command.
        """
        self.close_input()
        if not self._released:
            self._released = True
            self._selector.close()
            for stream in (self.process.stdout, self.process.stderr):
                if stream is not None:
                    stream.close()
        return self.process if self.process.poll() is None else None

    def take_output(self) -> bytes:
        """What the command printed on standard output so far, removed from the buffer.

        For a bare channel used as a byte stream (an agent): after the header,
        read this first, then ``process.stdout`` directly.
        """
        data = bytes(self.stdout)
        self.stdout.clear()
        self._streamed = 0
        return data

    # -- results ------------------------------------------------------------------------

    def output(self) -> tuple[bytes, bytes]:
        """The command's own standard output and standard error so far."""
        end = self._out_end
        out = bytes(self.stdout if end is None else self.stdout[:end])
        stop = self.body_start + self.trailer.start if self.trailer else len(self.stderr)
        return out, bytes(self.stderr[self.body_start : stop])

    def printed(self) -> str:
        """The start of everything the process printed, secrets masked (for messages)."""
        return self.redact(snippet(bytes(self.stderr + self.stdout))) or "(nothing)"

    def _failure(self, what: str, deadline: Deadline) -> TerminalError:
        if deadline.expired:
            return SessionBroken(
                f"{self.what} {what} within {deadline.timeout:g} s; it printed: {self.printed()}"
            )
        return TerminalError(f"{self.what} {what}; it printed: {self.printed()}")


class Leftovers:
    """Local sides of finished commands still ending by themselves; reaped later, or killed."""

    def __init__(self) -> None:
        self._processes: list[subprocess.Popen[bytes]] = []

    def adopt(self, process: subprocess.Popen[bytes] | None) -> None:
        """Keep ``process`` to reap later; forget those that have ended."""
        self._processes = [left for left in self._processes if left.poll() is None]
        if process is not None:
            self._processes.append(process)

    def reap_all(self) -> None:
        """Kill those still running (their commands are done) and reap them all."""
        processes, self._processes = self._processes, []
        for process in processes:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, 9)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(LEFTOVER_WAIT)
