"""What a wait shows while it runs in Robot: state changes as seen, and the console status line.

A keyword's wait registers a :class:`KeywordWatcher` for its own thread (the
thread Robot's logger works in). The wait engine calls it after every poll
round, so each state change is logged at the moment the wait sees it, and
log.html's timestamps say when it happened, not when the wait ended.

The status line goes to the console the way Robot's own markers do (through
``robot.api.logger.console``, on ``sys.__stdout__``): on a terminal it is
drawn below the test's line and erased when the wait ends, the cursor back
where Robot left it; elsewhere (pabot's process outputs, CI logs) a plain
line comes every :data:`~jobharness.progress.PLAIN_INTERVAL` seconds.
``progress`` (JobLibrary's argument, env ``JOBHARNESS_PROGRESS``, Robot
variable ``${JOBHARNESS_PROGRESS}``) is ``auto`` (shown unless the console
is quiet, dotted or none, or the run is a pabot process), ``on`` or ``off``.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

from robot.api import logger

from jobharness.jobs import Job, StateChange
from jobharness.progress import (
    PROGRESS,
    ProgressMode,
    StatusLine,
    WaitObserver,
    WaitStatus,
    observing,
)
from robotlib._core.conversions import robot_setting, robot_variable

if TYPE_CHECKING:
    from robotlib._core.logging import JobLog


def _console_is_quiet() -> bool:
    """True when Robot's console is ``quiet``, ``none`` or ``dotted`` (best effort)."""
    try:
        from robot.output import LOGGER
        from robot.output.console.dotted import DottedConsole
        from robot.output.console.quiet import NoneConsole, QuietConsole
    except ImportError:  # pragma: no cover - another Robot layout: assume verbose
        return False
    console = getattr(LOGGER, "_Logger__console", None)
    return isinstance(console, (DottedConsole, NoneConsole, QuietConsole))


def progress_mode(explicit: str | None = None) -> ProgressMode:
    """The progress setting: argument > env ``JOBHARNESS_PROGRESS`` > Robot variable > auto."""
    return ProgressMode.parse(robot_setting(PROGRESS, explicit).value or "auto")


def status_line(mode: ProgressMode) -> StatusLine | None:
    """The console status line for ``mode``, or None when nothing should be shown."""
    if mode is ProgressMode.OFF:
        return None
    if mode is ProgressMode.AUTO and (
        _console_is_quiet() or robot_variable("${PABOTQUEUEINDEX}") is not None
    ):
        return None
    stream = sys.__stdout__
    tty = bool(stream is not None and stream.isatty())
    width = shutil.get_terminal_size().columns if tty else 200
    return StatusLine(_console_write, tty=tty, width=width)


def _console_write(text: str) -> None:
    logger.console(text, newline=False)


class KeywordWatcher(WaitObserver):
    """Logs state changes when the wait sees them; draws the status line when there is one."""

    def __init__(self, job_log: JobLog, line: StatusLine | None) -> None:
        self.job_log = job_log
        self.line = line

    def state_changed(self, job: Job, change: StateChange) -> None:
        """Log the change now: log.html stamps it with the time it was seen."""
        self.job_log.changes(job)

    def wait_started(self, status: WaitStatus) -> None:
        """Pass on to the status line."""
        if self.line is not None:
            self.line.wait_started(status)

    def wait_progress(self, status: WaitStatus) -> None:
        """Pass on to the status line."""
        if self.line is not None:
            self.line.wait_progress(status)

    def wait_ended(self, status: WaitStatus) -> None:
        """Pass on to the status line (which erases itself)."""
        if self.line is not None:
            self.line.wait_ended(status)


@contextlib.contextmanager
def watching(job_log: JobLog, progress: str | None = None) -> Iterator[KeywordWatcher]:
    """Watch the waits this thread runs inside the block (a keyword's waits)."""
    watcher = KeywordWatcher(job_log, status_line(progress_mode(progress)))
    with observing(watcher):
        yield watcher


__all__ = ["KeywordWatcher", "progress_mode", "status_line", "watching"]
