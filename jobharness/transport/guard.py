"""Deadline guards for sockets that a library reads for us.

A socket timeout bounds each read, not a whole reply: a server that drips a
byte at a time keeps a read going forever. Where the reads are ours
(JSON lines), the reader checks its deadline after every read. Where a
library reads (``http.client`` under requests), a :class:`SocketGuard`
shuts the request's sockets down when its deadline passes; the blocked read
returns at once and the transport reports a timeout.

One daemon thread, :class:`_Watchdog`, serves every guard of the process; it
only ever calls ``shutdown`` on sockets and never logs.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from contextvars import ContextVar
from types import TracebackType

from jobharness.deadline import Deadline

WATCHDOG_NAP = 3600.0
"""The longest the watchdog sleeps at once; it checks again afterwards."""


class SocketGuard:
    """Shuts down the sockets attached to it once ``deadline`` passes, unless closed before.

    Use it as a context manager around one request; while it is active,
    :func:`attach` (called by the connection classes) adds the sockets the
    request uses.
    """

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline
        self.fired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._closed = False

    def attach(self, sock: socket.socket | None) -> None:
        """Watch ``sock`` too (shut down at once if the deadline already fired)."""
        if sock is None:
            return
        with self._lock:
            if self._closed:
                return
            self._sockets.append(sock)
            fired = self.fired
        if fired:
            _shutdown(sock)

    def fire(self) -> None:
        """The deadline passed: shut every attached socket down (no-op once closed)."""
        with self._lock:
            if self._closed:
                return
            self.fired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shutdown(sock)

    def close(self) -> None:
        """The request is over: never touch its sockets again."""
        with self._lock:
            self._closed = True
            self._sockets.clear()
        _WATCHDOG.forget(self)

    def __enter__(self) -> SocketGuard:
        self._token = _active.set(self)
        _WATCHDOG.watch(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _active.reset(self._token)
        self.close()


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


_active: ContextVar[SocketGuard | None] = ContextVar("jobharness_socket_guard", default=None)


def attach(sock: socket.socket | None) -> None:
    """Attach ``sock`` to the guard active in this thread or task, if there is one."""
    guard = _active.get()
    if guard is not None:
        guard.attach(sock)


class _Watchdog:
    """One thread that fires guards when their deadlines pass.

    Closed guards are dropped lazily (when they reach the top of the heap, or
    when they outnumber the live ones); the thread is woken only when a new
    deadline is earlier than every other.
    """

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, SocketGuard]] = []
        self._live: set[int] = set()
        self._counter = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def watch(self, guard: SocketGuard) -> None:
        with self._wake:
            earliest = not self._heap or guard.deadline.end < self._heap[0][0]
            if len(self._heap) > 2 * len(self._live) + 64:
                self._heap = [entry for entry in self._heap if id(entry[2]) in self._live]
                heapq.heapify(self._heap)
            heapq.heappush(self._heap, (guard.deadline.end, next(self._counter), guard))
            self._live.add(id(guard))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="jobharness-deadline-watchdog", daemon=True
                )
                self._thread.start()
            elif earliest:
                self._wake.notify()

    def forget(self, guard: SocketGuard) -> None:
        with self._wake:
            self._live.discard(id(guard))

    def _next_due(self) -> SocketGuard:
        with self._wake:
            while True:
                while self._heap and id(self._heap[0][2]) not in self._live:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._wake.wait()
                    continue
                delay = self._heap[0][0] - time.monotonic()
                if delay > 0:
                    # capped: an OS timer overflows on a far deadline (and the thread would die)
                    self._wake.wait(min(delay, WATCHDOG_NAP))
                    continue
                guard = heapq.heappop(self._heap)[2]
                self._live.discard(id(guard))
                return guard

    def _run(self) -> None:
        while True:
            self._next_due().fire()


_WATCHDOG = _Watchdog()
