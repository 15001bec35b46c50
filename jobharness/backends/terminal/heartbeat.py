"""A heartbeat on a terminal's connection: a dead peer is noticed within seconds.

A :class:`Heartbeat` keeps one small channel open through the route's ssh
part (``cat`` at the far end, no pseudo-terminal) and, from a thread of its
own, sends it a byte every ``interval`` seconds and reads the echo. The
connection counts as dead at once when the channel ends (end of file: the
master, the sshd session or the host went away) and when no echo came for
``timeout`` seconds (a frozen or unreachable peer, whose TCP connection
has not failed yet). Before its first echo the channel is still starting
(a new process, a channel of the connection, a shell at the far end: seconds
on a loaded machine), so that wait is bounded by ``start_timeout``, the
request timeout of the terminal, not by ``timeout``. It only records why
(:attr:`Heartbeat.failure`): the thread never logs, never touches the
terminal and never raises; callers look at the failure (an interactive
session's ``liveness``) and recover in their own thread.

A local route needs no heartbeat (:func:`start_heartbeat` returns None).
"""

from __future__ import annotations

import contextlib
import os
import select
import subprocess
import threading
import time
from typing import TYPE_CHECKING

from jobharness.deadline import parse_timeout, request_deadline

if TYPE_CHECKING:
    from jobharness.backends.terminal.client import Terminal

DEFAULT_INTERVAL = 0.25
"""Seconds between two beats."""
DEFAULT_TIMEOUT = 1.5
"""Seconds without an echo after which the peer counts as dead (noticed within 2 s)."""
DEFAULT_START_TIMEOUT = 30.0
"""Seconds the channel may take to give its first echo."""
STOP_WAIT = 1.0


class Heartbeat:
    """Beats through ``argv`` (a local command whose far end echoes its input)."""

    def __init__(
        self,
        argv: list[str],
        what: str,
        *,
        interval: float = DEFAULT_INTERVAL,
        timeout: float = DEFAULT_TIMEOUT,
        start_timeout: float = DEFAULT_START_TIMEOUT,
        link: object | None = None,
    ) -> None:
        self.what = what
        self.link = link
        """The connection it beats through (a failure says that one is gone, not a newer one)."""
        self.interval = parse_timeout(interval, "heartbeat interval")
        self.timeout = parse_timeout(timeout, "heartbeat timeout")
        self.start_timeout = max(self.timeout, parse_timeout(start_timeout, "heartbeat start"))
        self.failure: str | None = None
        self.beats = 0
        self._stop = threading.Event()
        self._process = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self._thread = threading.Thread(target=self._run, name=f"heartbeat {what}", daemon=True)
        self._thread.start()

    def __call__(self) -> str | None:
        """Why the peer counts as gone, or None (an interactive session's ``liveness``)."""
        return self.failure

    @property
    def alive(self) -> bool:
        """True while no failure was seen."""
        return self.failure is None

    def _fail(self, reason: str) -> None:
        if self.failure is None and not self._stop.is_set():  # stopping ends the channel
            self.failure = f"{self.what}: {reason}"

    def _run(self) -> None:
        process = self._process
        assert process.stdin is not None and process.stdout is not None
        out, into = process.stdout.fileno(), process.stdin.fileno()
        last_echo = time.monotonic()
        answered, limit = False, self.start_timeout
        next_beat = 0.0
        while not self._stop.is_set() and self.failure is None:
            now = time.monotonic()
            if now >= next_beat:
                try:
                    os.write(into, b"\n")
                except OSError:
                    self._fail("the connection is gone (its heartbeat channel closed)")
                    break
                next_beat = now + self.interval
            ready, _, _ = select.select([out], [], [], max(0.0, min(next_beat - now, 0.05)))
            if ready:
                try:
                    data = os.read(out, 4096)
                except OSError:
                    data = b""
                if not data:
                    self._fail("the connection is gone (end of file on its heartbeat channel)")
                    break
                self.beats += data.count(b"\n")
                last_echo = time.monotonic()
                answered, limit = True, self.timeout
            elif time.monotonic() - last_echo > limit:
                self._fail(
                    f"no answer to the heartbeat for {self.timeout:g} s"
                    if answered
                    else f"its heartbeat channel gave no echo within {limit:g} s"
                )
                break

    def stop(self) -> None:
        """End the thread and the channel."""
        self._stop.set()
        process = self._process
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
        self._thread.join(STOP_WAIT)
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, 9)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(STOP_WAIT)
        if process.stdout is not None:
            with contextlib.suppress(OSError):
                process.stdout.close()

    def __repr__(self) -> str:
        return f"<Heartbeat {self.what} {'alive' if self.alive else self.failure}>"


def start_heartbeat(
    terminal: Terminal,
    *,
    interval: float = DEFAULT_INTERVAL,
    timeout: float = DEFAULT_TIMEOUT,
) -> Heartbeat | None:
    """A heartbeat on ``terminal``'s connection (logging in if needed); None for a local route.

    The channel's first echo may take the terminal's ``request_timeout``.
    """
    if terminal.plan.local:
        return None
    link = terminal.link(request_deadline(terminal.request_timeout))
    return Heartbeat(
        link.argv("exec cat"),
        terminal.describe(),
        interval=interval,
        timeout=timeout,
        start_timeout=terminal.request_timeout,
        link=link,
    )
