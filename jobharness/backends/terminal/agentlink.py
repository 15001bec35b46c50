"""The controller's link to one agent: start, requests by id, heartbeats, end of file.

:meth:`AgentLink.start` sends the agent's source over the stream (after the
ready marker on a terminal), reads its hello and sends the heartbeat
settings. Requests carry ids; replies come back in any order and wait in
their :class:`Pending` until the caller takes them.

Reading: a thread that waits for a reply reads the stream itself when no
other thread does, so a reply needs no hand-over between threads. When no
caller has read for :data:`CALLER_GRACE` seconds, the link's monitor thread
reads instead (it never decodes a reply and never logs): end of file is
seen at once, pings are sent every ``heartbeat_interval`` and answered,
standard error is kept (its last 64 KB) for messages.

The link is *broken* at end of file (the agent, its shell or the connection
died), at a frame that is not valid, or when a ping is not answered within
``heartbeat_timeout``; every waiting call then fails at once with
:class:`~jobharness.backends.terminal.runner_errors.RunnerTerminalSessionBroken`.
Each link has an *epoch*, unique in the process, that proxies carry.

Handles released by proxies are queued without a lock (finalizers may run
anywhere) and sent in batches: with the next request, or by the reader.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import select
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jobharness.backends.terminal import agent, wire
from jobharness.backends.terminal.agentstart import handshake
from jobharness.backends.terminal.agentstream import AgentStream
from jobharness.backends.terminal.runner_errors import (
    RunnerTerminalSessionBroken,
    SessionInitializationFailed,
)
from jobharness.deadline import Deadline
from jobharness.errors import ConfigurationError, ProtocolError
from jobharness.redaction import Redactor

READ_SIZE = 1 << 18
SLICE = 0.05
CALLER_GRACE = 0.05
"""Seconds after a caller last read before the monitor thread reads in its place."""
STDERR_KEEP = 64 * 1024
RELEASE_BATCH = 64
_EPOCHS = itertools.count(1)


@dataclass(frozen=True)
class LinkSettings:
    """Liveness: a ping every ``heartbeat_interval`` s, broken without an answer in
    ``heartbeat_timeout`` s; the agent ends after ``idle_exit`` s without a frame;
    replies nobody fetched are dropped after ``late_reply_ttl`` s."""

    heartbeat_interval: float = 0.5
    heartbeat_timeout: float = 2.0
    idle_exit: float = 60.0
    late_reply_ttl: float = 600.0

    def __post_init__(self) -> None:
        if not 0 < self.heartbeat_interval < self.heartbeat_timeout:
            raise ConfigurationError(
                "heartbeat_interval must be positive and below heartbeat_timeout, got "
                f"{self.heartbeat_interval} and {self.heartbeat_timeout}"
            )


class NotSent(RunnerTerminalSessionBroken):
    """The link was broken before the request left: it may be sent on a new link."""


class Pending:
    """One request waiting for its reply (a result or a remote error)."""

    __slots__ = ("done", "error", "expires", "keepalive", "kind", "payload", "rid", "what")

    def __init__(self, rid: int, what: str, keepalive: Any) -> None:
        self.rid = rid
        self.what = what
        self.keepalive = keepalive  # handles the request names stay alive until the reply
        self.done = False
        self.kind = 0
        self.payload = b""
        self.error: Exception | None = None
        self.expires: float | None = None


class AgentLink:
    """One started agent on one stream."""

    def __init__(self, stream: AgentStream, settings: LinkSettings | None = None) -> None:
        self.stream = stream
        self.redact: Redactor = getattr(stream, "redact", None) or Redactor()
        self.settings = settings or LinkSettings()
        self.epoch = next(_EPOCHS)
        self.hello: dict[str, Any] = {}
        self.reason: str | None = None
        self.releases: deque[int] = deque()
        self.requests = 0  # sent so far: round trips, for tests and benchmarks
        self._pending: dict[int, Pending] = {}
        self._wlock = threading.Lock()
        self._ids = itertools.count(1)
        self._stderr = bytearray()
        self.frames = wire.FrameReader(f"the agent on {stream.describe()}")
        self._closing = False
        self._thread: threading.Thread | None = None
        self._last_rx = time.monotonic()
        self._unanswered: float | None = None
        self._last_ping = self._next_tick = 0.0
        self._tick_every = min(0.1, self.settings.heartbeat_interval / 2)
        self._cv = threading.Condition()  # guards _reader and _waiting; signals replies
        self._reader = False
        self._waiting = 0
        self._caller_read = 0.0
        self._fds = [stream.read_fd]
        self._wake = os.pipe()
        for fd in self._wake:
            os.set_blocking(fd, False)
        self._fds.append(self._wake[0])
        if stream.stderr_fd is not None:
            self._fds.append(stream.stderr_fd)

    # -- start --------------------------------------------------------------------------

    def start(self, deadline: Deadline) -> AgentLink:
        """Send the source, read the hello, send the settings, start the monitor thread."""
        try:
            self.hello = handshake(self, deadline)
        except Exception as exc:
            self.close()
            raise SessionInitializationFailed(
                f"the agent did not start on {self.stream.describe()}: {exc}{self._diagnostics()}"
            ) from None
        self._last_rx = time.monotonic()
        self._thread = threading.Thread(
            target=self._monitor, name=f"jobharness-agent-{self.epoch}", daemon=True
        )
        self._thread.start()
        return self

    def read_some(self, deadline: Deadline, what: str) -> bytes:
        """Read from the stream before the monitor runs (standard error drained meanwhile)."""
        while not deadline.expired:
            for fd in select.select(self._fds, [], [], deadline.cap(SLICE))[0]:
                data = self._read_fd(fd)
                if data is None or fd == self._wake[0]:
                    continue
                if fd == self.stream.read_fd:
                    if not data:
                        raise ProtocolError(f"its output ended before {what}")
                    return data
                self._keep_stderr(fd, data)
        raise ProtocolError(f"no {what} within {deadline.timeout:g} s")

    @staticmethod
    def _read_fd(fd: int) -> bytes | None:
        """What ``fd`` has (``b""`` at its end, ``None`` when nothing is there yet)."""
        try:
            return os.read(fd, READ_SIZE)
        except BlockingIOError:
            return None
        except OSError as exc:
            if exc.errno == errno.EIO:  # a terminal whose other end is closed
                return b""
            raise

    def _keep_stderr(self, fd: int, data: bytes) -> None:
        if not data:
            self._fds.remove(fd)
            return
        self._stderr += data
        del self._stderr[: max(0, len(self._stderr) - STDERR_KEEP)]

    def stderr_tail(self, limit: int = 2000) -> str:
        """The end of what the agent's side printed on standard error (secrets masked)."""
        text = bytes(self._stderr[-limit:]).decode("utf-8", errors="replace").strip()
        return self.redact(text)

    def _diagnostics(self) -> str:
        status = self.stream.exit_status()
        parts = [] if status is None else [f"exit status {status}"]
        tail = self.stderr_tail(500)
        if tail:
            parts.append(f"standard error: {tail}")
        return f" ({'; '.join(parts)})" if parts else ""

    # -- writing ------------------------------------------------------------------------

    def write(self, data: bytes, deadline: Deadline, *, wait: bool = True) -> bool:
        """Write ``data`` whole by ``deadline``; False when ``wait`` is off and it would block."""
        if not self._wlock.acquire(blocking=wait):
            return False
        try:
            fd, sent = self.stream.write_fd, 0
            while True:
                try:
                    sent += os.write(fd, data if not sent else memoryview(data)[sent:])
                    if sent == len(data):
                        return True
                    continue
                except BlockingIOError:
                    if not wait and not sent:
                        return False
                except OSError as exc:
                    self._break(f"writing to the agent failed: {exc}")
                    raise self._lost(sent) from None
                except BaseException:  # Ctrl-C, a test's timeout: no half frame may stay
                    if sent:
                        self._break(f"a request was interrupted after {sent} bytes")
                    raise
                if deadline.expired:
                    if sent:
                        self._break(f"a request was cut after {sent} bytes at its deadline")
                    raise self._lost(sent)
                select.select([], [fd], [], deadline.cap(SLICE))
        finally:
            self._wlock.release()

    def _lost(self, sent: int) -> RunnerTerminalSessionBroken:
        cls = NotSent if not sent else RunnerTerminalSessionBroken
        return cls(f"the agent on {self.stream.describe()} is gone: {self.reason or 'timed out'}")

    # -- requests -----------------------------------------------------------------------

    @property
    def broken(self) -> bool:
        """True once the link can no longer be used."""
        return self.reason is not None

    def submit(
        self, parts: list[bytes], what: str, deadline: Deadline, keepalive: Any = None
    ) -> Pending:
        """Send one request; its reply arrives in the returned :class:`Pending`."""
        if self.reason is not None:
            raise NotSent(f"the agent on {self.stream.describe()} is gone: {self.reason}")
        pending = Pending(next(self._ids), what, keepalive)
        self._pending[pending.rid] = pending
        self.requests += 1
        data = wire.frame(agent.CALL, pending.rid, parts)
        if self.releases:
            released = wire.frame(agent.RELEASE, 0, [wire.pack_json(self._take_releases())])
            data = released + data
        try:
            self.write(data, deadline)
        except BaseException:
            self._pending.pop(pending.rid, None)
            raise
        return pending

    def wait(self, pending: Pending, deadline: Deadline) -> bool:
        """Wait for the reply until ``deadline``; True once it (or the link's end) came.

        The waiting thread reads the stream itself when no other thread does.
        """
        while not pending.done:
            with self._cv:
                while self._reader and not pending.done and not deadline.expired:
                    self._waiting += 1
                    self._poke()
                    self._cv.wait(deadline.cap(SLICE))
                    self._waiting -= 1
                if pending.done or deadline.expired:
                    return pending.done
                self._reader = True
            try:
                if self.reason is not None:
                    self._fail(pending)
                else:
                    self._pump(lambda: pending.done, deadline.end)
            finally:
                with self._cv:
                    self._reader = False
                    self._caller_read = time.monotonic()
                    if self._waiting:
                        self._cv.notify_all()
        return True

    def take(self, pending: Pending) -> tuple[int, bytes]:
        """The reply's kind and payload (the request is forgotten); raises if the link broke."""
        self._pending.pop(pending.rid, None)
        if pending.error is not None:
            raise pending.error
        return pending.kind, pending.payload

    def keep_late(self, pending: Pending) -> None:
        """The caller gave up waiting: keep the reply for ``late_reply_ttl`` seconds."""
        pending.expires = time.monotonic() + self.settings.late_reply_ttl

    def forget(self, pending: Pending) -> None:
        """Nobody wants the reply: tell the agent not to send it; release it if it came."""
        self._pending.pop(pending.rid, None)
        if pending.done:
            self._release_payload(pending)
        elif self.reason is None:
            with contextlib.suppress(RunnerTerminalSessionBroken):
                self.write(wire.frame(agent.CANCEL, pending.rid), Deadline(1.0, "cancel"))

    def pending(self, rid: int) -> Pending | None:
        """The request ``rid`` while its reply is awaited or kept."""
        return self._pending.get(rid)

    def release_later(self, hid: int) -> None:
        """Queue one handle for release (safe from finalizers: no lock is taken)."""
        self.releases.append(hid)

    def _take_releases(self) -> list[int]:
        taken: list[int] = []
        with contextlib.suppress(IndexError):
            while True:
                taken.append(self.releases.popleft())
        return taken

    def _release_payload(self, pending: Pending) -> None:
        if pending.kind == agent.RESULT:
            self.releases.extend(wire.ref_ids(pending.payload))

    # -- reading ------------------------------------------------------------------------

    def _monitor(self) -> None:
        """Read (frames, end of file, heartbeats) whenever no caller has read for a moment."""
        while not self._closing and self.reason is None:
            with self._cv:
                quiet = time.monotonic() - self._caller_read
                if self._reader or self._waiting or quiet < CALLER_GRACE:
                    self._cv.wait(max(CALLER_GRACE - quiet, 0.01))
                    continue
                self._reader = True
            try:
                self._pump(lambda: self._waiting > 0 or self._closing, None)
            finally:
                with self._cv:
                    self._reader = False
                    self._cv.notify_all()

    def _pump(self, until: Callable[[], bool], end: float | None) -> None:
        """Read and dispatch frames until ``until()``, the monotonic ``end``, or the link's end."""
        read_fd, fds, monotonic = self.stream.read_fd, self._fds, time.monotonic
        try:
            while self.reason is None and not until():
                wait = self._tick_every if end is None else min(self._tick_every, end - monotonic())
                for fd in select.select(fds, [], [], max(wait, 0.0))[0]:
                    data = self._read_fd(fd)
                    if data is None or fd == self._wake[0]:
                        continue
                    if fd != read_fd:
                        self._keep_stderr(fd, data)
                    elif not data:
                        self._break("end of file: the agent, its shell or the connection ended")
                    else:
                        self._last_rx, self._unanswered = monotonic(), None
                        for found in self.frames.feed(data):
                            self._on_frame(found)
                now = monotonic()
                if now >= self._next_tick:
                    self._tick(now)
                if end is not None and now >= end:
                    return
        except ProtocolError as exc:
            self._break(f"protocol error: {exc}")
        except (OSError, ValueError) as exc:
            if not self._closing:
                self._break(f"reading from the agent failed: {exc}")

    def _on_frame(self, found: wire.Frame) -> None:
        kind = found.kind
        if kind == agent.RESULT or kind == agent.ERROR:
            pending = self._pending.get(found.rid)
            if pending is None:  # forgotten: its references are released
                if kind == agent.RESULT:
                    self.releases.extend(wire.ref_ids(found.payload))
                return
            pending.kind, pending.payload = kind, found.payload
            pending.done = True
            if self._waiting:
                with self._cv:
                    self._cv.notify_all()
        elif kind == agent.PING:
            self.write(wire.frame(agent.PONG, found.rid), Deadline(0.0), wait=False)
        elif kind != agent.PONG:
            raise ProtocolError(f"the agent sent an unexpected {wire.KIND_NAMES[kind]} frame")

    def _tick(self, now: float) -> None:
        """Heartbeat, batched releases, expired late replies."""
        self._next_tick = now + self._tick_every
        if (
            self._unanswered is not None
            and now - self._unanswered > self.settings.heartbeat_timeout
        ):
            self._break(f"no heartbeat answer within {self.settings.heartbeat_timeout:g} s")
            return
        quick = Deadline(0.0)
        with contextlib.suppress(RunnerTerminalSessionBroken):
            if now - self._last_ping >= self.settings.heartbeat_interval and self.write(
                wire.frame(agent.PING, 0), quick, wait=False
            ):
                self._last_ping = now
                if self._unanswered is None:
                    self._unanswered = now
            if len(self.releases) >= RELEASE_BATCH or (self.releases and now - self._last_rx > 1):
                released = self._take_releases()
                data = wire.frame(agent.RELEASE, 0, [wire.pack_json(released)])
                if not self.write(data, quick, wait=False):
                    self.releases.extendleft(reversed(released))
        late = [p for p in list(self._pending.values()) if p.expires and p.expires < now]
        for pending in late:
            self._pending.pop(pending.rid, None)
            if pending.done:
                self._release_payload(pending)

    def fail(self, reason: str) -> None:
        """Declare the link broken (a reply that is not valid data, say)."""
        self._break(reason)

    def _break(self, reason: str) -> None:
        """Mark the link broken and fail every waiting request."""
        if self.reason is not None:
            return
        self.reason = reason
        for pending in list(self._pending.values()):
            if not pending.done:
                self._fail(pending)
        with self._cv:
            self._cv.notify_all()

    def _fail(self, pending: Pending) -> None:
        pending.error = RunnerTerminalSessionBroken(
            f"{pending.what} on {self.stream.describe()} got no reply: {self.reason}"
        )
        pending.done = True

    def _poke(self) -> None:
        """Wake the thread reading (the monitor) out of its wait for data."""
        with contextlib.suppress(OSError):
            os.write(self._wake[1], b"!")

    # -- the end ------------------------------------------------------------------------

    def close(self) -> None:
        """Say goodbye (when still possible), end the stream and the monitor thread."""
        if self._closing:
            return
        if self.reason is None:
            with contextlib.suppress(Exception):
                self.write(wire.frame(agent.BYE, 0), Deadline(0.2))
        self._closing = True
        self._break("the link was closed")
        self._poke()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(1.0)
        self.stream.close()
        for fd in self._wake:
            with contextlib.suppress(OSError):
                os.close(fd)

    def describe(self) -> str:
        """``local python3 pid 4242 (connection 3)``."""
        return f"{self.stream.describe()} (connection {self.epoch})"
