"""What a wait tells its watchers: state changes as they are seen, and a live status line.

The wait engine (:mod:`jobharness.jobs`) opens a :class:`WaitWatch` for every
wait. After each poll round the watch hands each job's new
:class:`~jobharness.jobs.StateChange` entries to the registered
:class:`WaitObserver` objects, at the moment the wait sees them and from the
thread that runs the wait, and then tells them the wait's progress.

The adapters register observers (:func:`observing`): the Robot libraries log
state changes as they happen and draw the status line on Robot's console;
the pytest plugin draws it on the terminal. :class:`StatusLine` is the part
they share: when to show the line (after :data:`SHOW_AFTER` seconds, then as
often as the medium suits) and how to draw it, in place on a terminal or as
plain lines in a log. This module knows nothing of Robot or pytest.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from jobharness.choices import Choice
from jobharness.settings import Setting

if TYPE_CHECKING:
    from jobharness.deadline import Deadline
    from jobharness.jobs import Job, StateChange

SHOW_AFTER = 2.0
"""Seconds a wait runs before its status line appears."""
TTY_INTERVAL = 0.25
"""Shortest time between two redraws of the line on a terminal."""
PLAIN_INTERVAL = 15.0
"""Time between two status lines written to something that is not a terminal (CI logs)."""
PREFIX = "jobharness: "


class ProgressMode(Choice):
    """Whether the live status line is shown: ``auto`` (unless quiet), ``on`` or ``off``."""

    AUTO = "auto"
    ON = "on"
    OFF = "off"

    @classmethod
    def _label(cls) -> str:
        return "progress"

    @classmethod
    def _aliases(cls) -> dict[str, str]:
        return {
            **dict.fromkeys(("true", "yes", "1"), "on"),
            **dict.fromkeys(("false", "no", "0", "none"), "off"),
        }


PROGRESS = Setting(
    "jobharness_progress",
    "the live status line of waits longer than a few seconds: auto (shown unless the run "
    "is quiet or a parallel worker), on or off",
    env=("JOBHARNESS_PROGRESS",),
    default=ProgressMode.AUTO.value,
)


@dataclass
class WaitStatus:
    """One running wait: what it waits for, its jobs, its deadline and when it began."""

    what: str
    jobs: Sequence[Job]
    deadline: Deadline
    started: float = field(default_factory=time.monotonic)

    @property
    def elapsed(self) -> float:
        """Seconds since the wait began."""
        return time.monotonic() - self.started

    def counts(self) -> Counter[str]:
        """How many jobs are in each state (by state name)."""
        return Counter(job.state.value for job in self.jobs)

    def line(self) -> str:
        """One line: the jobs per state, time spent against the deadline, what is awaited.

        What is awaited comes last: on a narrow terminal it is what gets cut.
        """
        order = ("pending", "running", "succeeded", "failed", "cancelled", "error")
        counts = self.counts()
        states = ", ".join(f"{counts[name]} {name}" for name in order if counts[name])
        spent = f"{self.elapsed:.0f} s of {self.deadline.timeout:g} s"
        return f"{PREFIX}{states} - {spent} - waiting for {self.what}"


def describe_awaited(jobs: Sequence[Job], mode: str = "all") -> str:
    """What a wait awaits, for its status line: one job by name, several by backend."""
    if len(jobs) == 1:
        job = jobs[0]
        name = f" {job.name!r}" if job.name else ""
        return f"{job.backend} job {job.id}{name}"
    backends = sorted({job.backend for job in jobs})
    kind = "/".join(backends)
    return f"{'any of ' if mode == 'any' else ''}{len(jobs)} {kind} jobs"


class WaitObserver:
    """Told about every wait; override what you need (every method does nothing here)."""

    def wait_started(self, status: WaitStatus) -> None:
        """A wait began."""

    def state_changed(self, job: Job, change: StateChange) -> None:
        """The wait saw ``job`` change state (``change.at`` is when it saw it)."""

    def wait_progress(self, status: WaitStatus) -> None:
        """A poll round ended (called often: decide yourself what to do with it)."""

    def wait_ended(self, status: WaitStatus) -> None:
        """The wait ended, however it ended."""


@dataclass(frozen=True)
class _Registration:
    observer: WaitObserver
    thread: int | None


_registry: list[_Registration] = []
_registry_lock = threading.Lock()


@contextlib.contextmanager
def observing(observer: WaitObserver, *, this_thread_only: bool = True) -> Iterator[WaitObserver]:
    """Tell ``observer`` about waits while the block runs.

    With ``this_thread_only`` (default) only waits run by the calling thread
    reach it: what a Robot keyword observes is what its own thread waits for.
    """
    registration = _Registration(observer, threading.get_ident() if this_thread_only else None)
    with _registry_lock:
        _registry.append(registration)
    try:
        yield observer
    finally:
        with _registry_lock:
            _registry.remove(registration)


def observers() -> list[WaitObserver]:
    """The observers a wait run by the calling thread tells."""
    me = threading.get_ident()
    with _registry_lock:
        return [r.observer for r in _registry if r.thread is None or r.thread == me]


def _tell_change(observer: WaitObserver, *, job: Job, change: StateChange) -> None:
    observer.state_changed(job, change)


class WaitWatch:
    """The engine's side: one per wait, notifies the observers of the calling thread.

    An observer that raises is dropped for the rest of the wait: watching a
    wait must never break it (a closed console, say). Interrupts and runner
    timeouts (not ``Exception`` subclasses) go through.
    """

    def __init__(self, status: WaitStatus) -> None:
        self.status = status
        self.observers = observers()
        self._seen = {id(job): len(job.history) for job in status.jobs}
        self._tell(lambda observer: observer.wait_started(status))

    def _tell(self, call: Callable[[WaitObserver], None]) -> None:
        for observer in list(self.observers):
            try:
                call(observer)
            except Exception:  # a watcher's fault is not the wait's
                self.observers.remove(observer)

    @property
    def watched(self) -> bool:
        """True when someone observes this wait."""
        return bool(self.observers)

    def changes(self) -> None:
        """Report the state changes recorded since the last call."""
        for job in self.status.jobs:
            start = self._seen.get(id(job), 0)
            new = job.history[start:]
            self._seen[id(job)] = len(job.history)
            for change in new:
                self._tell(functools.partial(_tell_change, job=job, change=change))

    def round(self) -> None:
        """A poll round ended: report its state changes and the wait's progress."""
        self.changes()
        self._tell(lambda observer: observer.wait_progress(self.status))

    def end(self) -> None:
        """The wait ended: report the last changes, then the end."""
        self.changes()
        self._tell(lambda observer: observer.wait_ended(self.status))


class StatusLine(WaitObserver):
    """The live status line, drawn through ``write`` (which must write and flush).

    On a terminal (``tty``) the line is drawn below the cursor's line and
    rewritten in place, and when the wait ends it is erased and the cursor
    goes back where it was, so a runner's own output (Robot's test line and
    markers, pytest's progress) continues undisturbed. Elsewhere one plain
    line is written every :data:`PLAIN_INTERVAL` seconds, each on a line of
    its own. Nothing is shown for waits shorter than :data:`SHOW_AFTER`.
    """

    def __init__(
        self,
        write: Callable[[str], None],
        *,
        tty: bool,
        width: int = 80,
        show_after: float | None = None,
        interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.write = write
        self.tty = tty
        self.width = max(width, 20)
        self.show_after = SHOW_AFTER if show_after is None else show_after
        self.interval = (TTY_INTERVAL if tty else PLAIN_INTERVAL) if interval is None else interval
        self.clock = clock
        self.lines_written = 0
        self._drawn = False
        self._last = -1.0e9
        self._depth = 0

    def wait_started(self, status: WaitStatus) -> None:
        """Nested waits (a cleanup inside a wait) draw nothing of their own."""
        self._depth += 1

    def wait_progress(self, status: WaitStatus) -> None:
        """Draw the line when the wait has run long enough and the last draw is old enough."""
        if self._depth != 1 or status.elapsed < self.show_after:
            return
        now = self.clock()
        if now - self._last < self.interval:
            return
        self._last = now
        self._draw(status.line())

    def wait_ended(self, status: WaitStatus) -> None:
        """Erase the line (terminal) and go back to where the runner left the cursor."""
        self._depth = max(self._depth - 1, 0)
        if self._depth == 0 and self._drawn:
            # erase the status line, then restore the cursor saved before it was drawn
            self.write("\r\x1b[K\x1b8")
            self._drawn = False
            self._last = -1.0e9

    def _draw(self, text: str) -> None:
        self.lines_written += 1
        if not self.tty:
            self.write("\n" + text + "\n")
            return
        text = text[: self.width - 1]
        if not self._drawn:
            # make room below (scrolling if needed), come back, save the cursor, go down
            self.write("\x1bD\x1bM\x1b7\x1bD\r")
            self._drawn = True
        self.write("\r\x1b[K" + text)


__all__ = [
    "PLAIN_INTERVAL",
    "PROGRESS",
    "SHOW_AFTER",
    "TTY_INTERVAL",
    "ProgressMode",
    "StatusLine",
    "WaitObserver",
    "WaitStatus",
    "WaitWatch",
    "describe_awaited",
    "observers",
    "observing",
]
