"""The live status line of long waits on pytest's terminal.

``--jobharness-progress`` (env ``JOBHARNESS_PROGRESS``, ini
``jobharness_progress``): ``auto`` (default) shows a status line for every wait
that runs longer than two seconds (what is awaited, the jobs per state, time
spent against the deadline), except under ``-q`` and in pytest-xdist
workers; ``on`` shows it there too (a worker writes plain lines to its
stderr); ``off`` never. On a terminal the line is rewritten in place below
pytest's own line and erased when the wait ends; on anything else (CI logs)
a plain line comes every 15 seconds.

The line is written with capture suspended, the way pytest's live logging
writes, so it shows with output capture on.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
from collections.abc import Callable
from typing import Any

import pytest

from jobharness.progress import PROGRESS, ProgressMode, StatusLine, observing
from pytest_plugin._common import add_setting, get_setting

_OBSERVING = pytest.StashKey[contextlib.ExitStack]()
_LINE = pytest.StashKey[StatusLine]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--jobharness-progress`` and its ini option."""
    add_setting(parser, PROGRESS)


def _terminal_writer(config: pytest.Config) -> tuple[Callable[[str], None], bool] | None:
    """A function writing to pytest's terminal past the capture, and whether it is a tty."""
    reporter: Any = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return None
    capman: Any = config.pluginmanager.get_plugin("capturemanager")
    tty = bool(reporter.isatty())
    # On a terminal the escapes go straight to the reporter's file: through its writer
    # they would count as text of pytest's current line and shift its right-aligned
    # progress. Plain lines end with a newline and can go through the writer.
    raw = getattr(getattr(reporter, "_tw", None), "_file", None) if tty else None

    def write(text: str) -> None:
        with capman.global_and_fixture_disabled() if capman else contextlib.nullcontext():
            if raw is not None:
                raw.write(text)
                raw.flush()
            else:
                reporter.write(text, flush=True)

    return write, tty


def _worker_writer(config: pytest.Config, worker: str) -> Callable[[str], None]:
    """Plain lines on the worker's stderr (past the capture), each naming the worker."""
    capman: Any = config.pluginmanager.get_plugin("capturemanager")

    def write(text: str) -> None:
        stream = sys.__stderr__
        if stream is None:
            return
        with capman.global_and_fixture_disabled() if capman else contextlib.nullcontext():
            stream.write(text.replace("\njobharness: ", f"\njobharness [{worker}]: "))
            stream.flush()

    return write


def status_line(config: pytest.Config) -> StatusLine | None:
    """The status line this run shows, or None (``off``, ``-q`` or a worker under ``auto``)."""
    mode = ProgressMode.parse(get_setting(config, PROGRESS).value or "auto")
    workerinput = getattr(config, "workerinput", None)
    if mode is ProgressMode.OFF:
        return None
    if mode is ProgressMode.AUTO and (config.get_verbosity() < 0 or workerinput is not None):
        return None
    if workerinput is not None:
        worker = str(workerinput.get("workerid", "worker"))
        return StatusLine(_worker_writer(config, worker), tty=False)
    found = _terminal_writer(config)
    if found is None:
        return None
    write, tty = found
    width = shutil.get_terminal_size().columns if tty else 200
    return StatusLine(write, tty=tty, width=width)


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """Watch the waits of the main thread (where tests run) with the status line."""
    line = status_line(config)
    if line is None:
        return
    stack = contextlib.ExitStack()
    stack.enter_context(observing(line))
    config.stash[_OBSERVING] = stack
    config.stash[_LINE] = line


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop watching."""
    stack = config.stash.get(_OBSERVING, None)
    if stack is not None:
        stack.close()
        del config.stash[_OBSERVING]


def progress_line(config: pytest.Config) -> StatusLine | None:
    """The status line of this run, if it shows one (for tests and other plugins)."""
    return config.stash.get(_LINE, None)


__all__ = ["progress_line", "status_line"]
