"""pytest fixtures for the terminal backend: commands, jobs and interactive sessions over ssh.

Settings (CLI > env > ini > default): ``--terminal-host`` (env
``JOBHARNESS_TERMINAL_HOST``, ini ``terminal_host``) with ``--terminal-port``,
``--terminal-user``, ``--terminal-password`` (secret, never shown),
``--terminal-key-file``, ``--terminal-known-hosts`` and
``--terminal-host-key-policy``. With no host, a private sshd runs for the
session (``jobharness serve sshd``).

Fixtures:

* ``terminal_server`` (session): the :class:`~jobharness.targets.Target`;
* ``terminal`` (function): a factory of
  :class:`~jobharness.backends.terminal.Terminal`:
  ``terminal()`` for the session's target, ``terminal(route)`` for any
  route (hops, crl's shells, dicts). Terminals are kept for the session,
  one login per route; each test sees its own record: a failing test's
  report lists the commands it ran with their output, and the jobs it
  started (``terminal().start(...)``) are killed at teardown if they still
  run;
* ``terminal_job`` (function): ``terminal_job("sleep 5", target=None,
  **start_options)`` starts a tracked job on the session's target (or
  ``target``);
* ``terminal_session`` (function): a factory of
  :class:`~jobharness.backends.terminal.InteractiveSession` on the same
  connections, closed at teardown; a failing test's report shows their
  transcripts;
* ``remote_python`` (function): an
  :class:`~jobharness.backends.terminal.AutoRunnerTerminal` on the session's
  target (a remote Python agent on a channel of the shared connection, no
  new login), ended at teardown: the proxies the test made are released with
  it, and the next test starts from a fresh interpreter.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from jobharness.backends.terminal.settings import ALL_SETTINGS, TERMINAL_HOST
from pytest_plugin._common import (
    JobRecorder,
    add_setting,
    header_lines,
    open_target,
    wait_timeout,
)

if TYPE_CHECKING:
    from jobharness.backends.terminal import (
        AutoRunnerTerminal,
        CommandResult,
        InteractiveSession,
        Terminal,
        TerminalJob,
    )
    from jobharness.targets import Target

OUTPUT_LIMIT = 2000
COMMANDS_SHOWN = 20


@dataclass
class CommandLog:
    """The commands one test ran (through the ``terminal`` fixture) and their results."""

    entries: list[tuple[str, str]] = field(default_factory=list)
    sessions: list[InteractiveSession] = field(default_factory=list)

    def add(self, where: str, text: str) -> None:
        """Record one command's text (already masked)."""
        self.entries.append((where, text))

    def render(self) -> str:
        """The last commands, for a report section."""
        shown = self.entries[-COMMANDS_SHOWN:]
        skipped = len(self.entries) - len(shown)
        lines = [f"({skipped} earlier commands not shown)"] if skipped else []
        lines += [f"[{where}] {text}" for where, text in shown]
        for session in self.sessions:
            transcript = session.transcript[-OUTPUT_LIMIT:]
            lines.append(f"[{session.describe()}] transcript:")
            lines.append(textwrap.indent(transcript or "(nothing)", "    "))
        return "\n".join(lines)


_LOG = pytest.StashKey[CommandLog]()


def _shown(text: str) -> str:
    text = text if len(text) <= OUTPUT_LIMIT else text[:OUTPUT_LIMIT] + "..."
    return textwrap.indent(text.rstrip("\n"), "    ") if text.strip() else ""


def describe_result(result: CommandResult, mask: Any) -> str:
    """``$ command`` with its status and outputs, secrets masked."""
    lines = [f"$ {result.command}  -> status {result.status}"]
    for name, text in (("stdout", result.stdout), ("stderr", result.stderr)):
        body = _shown(mask(text))
        if body:
            lines.append(f"  {name}:\n{body}")
    return "\n".join(lines)


class Recorded:
    """Where a session-wide terminal reports to: the current test's log and job recorder."""

    def __init__(self) -> None:
        self.log: CommandLog | None = None
        self.jobs: JobRecorder | None = None


def _recording(terminal: Terminal, recorded: Recorded) -> Terminal:
    """``terminal`` with ``run`` and ``start`` reporting to ``recorded``."""
    from jobharness.backends.terminal import CommandError

    run, start = terminal.run, terminal.start

    def recorded_run(command: str, timeout: float | None = None, **options: Any) -> CommandResult:
        try:
            result = run(command, timeout, **options)
        except CommandError as exc:
            if recorded.log is not None and exc.result is not None:
                recorded.log.add(terminal.describe(), describe_result(exc.result, terminal.redact))
            raise
        if recorded.log is not None:
            recorded.log.add(terminal.describe(), describe_result(result, terminal.redact))
        return result

    def recorded_start(command: str, **options: Any) -> TerminalJob:
        job = start(command, **options)
        if recorded.jobs is not None:
            recorded.jobs.track(job)
        if recorded.log is not None:
            recorded.log.add(terminal.describe(), f"started {job.summary()}")
        return job

    terminal.run = recorded_run  # type: ignore[method-assign]
    terminal.start = recorded_start  # type: ignore[method-assign]
    return terminal


class TerminalPool:
    """The session's terminals, one per route and options, each reporting to the current test."""

    def __init__(self, server: Target) -> None:
        self.server = server
        self.recorded = Recorded()
        self._terminals: dict[tuple[Any, tuple[tuple[str, Any], ...]], Terminal] = {}

    def get(self, target: Any = None, **options: Any) -> Terminal:
        """The terminal of ``target`` (the session's target by default) with ``options``."""
        from jobharness.backends.terminal import Terminal, route, target_hop

        where = route(target_hop(self.server) if target is None else target)
        key = (where, tuple(sorted(options.items())))
        terminal = self._terminals.get(key)
        if terminal is None:
            terminal = _recording(Terminal(where, **options), self.recorded)
            self._terminals[key] = terminal
        return terminal

    def close(self) -> None:
        """Close every terminal."""
        terminals, self._terminals = list(self._terminals.values()), {}
        for terminal in terminals:
            terminal.close()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the terminal options and ini names."""
    for setting in ALL_SETTINGS:
        add_setting(parser, setting)


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say which ssh host the run uses (never the password)."""
    return header_lines("terminal", config, ALL_SETTINGS, (TERMINAL_HOST,))


@pytest.fixture(scope="session")
def terminal_server(pytestconfig: pytest.Config) -> Iterator[Target]:
    """The session's ssh target: the configured host, or a private sshd on 127.0.0.1."""
    from jobharness.backends.terminal.target import TERMINAL_TARGET

    with open_target(pytestconfig, TERMINAL_TARGET) as target:
        yield target


@pytest.fixture(scope="session")
def terminal_pool(terminal_server: Target) -> Iterator[TerminalPool]:
    """The session's terminals (one login per route), closed when the session ends."""
    pool = TerminalPool(terminal_server)
    yield pool
    pool.close()


@pytest.fixture
def terminal(
    request: pytest.FixtureRequest, terminal_pool: TerminalPool, jobharness_jobs: JobRecorder
) -> Iterator[Any]:
    """A factory of terminals: ``terminal()`` (the session's target) or ``terminal(route)``.

    Keyword options are the :class:`~jobharness.backends.terminal.Terminal`'s
    (``default_timeout`` defaults to the test's wait timeout). The commands
    a test runs are listed, with their output, in its report when it fails;
    the jobs it starts are killed at teardown if they still run.
    """
    log = request.node.stash.setdefault(_LOG, CommandLog())
    terminal_pool.recorded.log, terminal_pool.recorded.jobs = log, jobharness_jobs
    timeout = wait_timeout(request)

    def make(target: Any = None, **options: Any) -> Terminal:
        options.setdefault("default_timeout", timeout)
        return terminal_pool.get(target, **options)

    yield make
    terminal_pool.recorded.log = terminal_pool.recorded.jobs = None


@pytest.fixture
def terminal_job(terminal: Any) -> Any:
    """Start a tracked job: ``terminal_job(command, target=None, **start_options)``."""

    def start(command: str, target: Any = None, **options: Any) -> TerminalJob:
        job: TerminalJob = terminal(target).start(command, **options)
        return job

    return start


@pytest.fixture
def terminal_session(request: pytest.FixtureRequest, terminal: Any) -> Iterator[Any]:
    """A factory of interactive sessions: ``terminal_session(target=None, **session_options)``.

    They use the ``terminal`` fixture's connections (no new login) and are
    closed at teardown; a failing test's report shows their transcripts.
    """
    from jobharness.backends.terminal import InteractiveSession

    log = request.node.stash.setdefault(_LOG, CommandLog())
    timeout = wait_timeout(request)

    def open_session(target: Any = None, **options: Any) -> InteractiveSession:
        options.setdefault("timeout", timeout)
        session = InteractiveSession(terminal(target), **options).open()
        log.sessions.append(session)
        return session

    yield open_session
    for session in log.sessions:
        session.close()


@pytest.fixture
def remote_python(request: pytest.FixtureRequest, terminal: Any) -> Iterator[AutoRunnerTerminal]:
    """Python on the session's target for this test: ``run_python``, proxies, async calls.

    crl's ``AutoRunnerTerminal`` surface; it recovers by itself if the remote
    Python dies. Ended at teardown, so every proxy the test made is released
    (a proxy kept past the test raises ``RunnerTerminalSessionClosed``).
    """
    from jobharness.backends.terminal import AutoRunnerTerminal
    from jobharness.backends.terminal.agentstream import RoutePython

    connection = terminal()
    runner = AutoRunnerTerminal(
        RoutePython(connection),
        default_timeout=wait_timeout(request),
        start_timeout=connection.request_timeout,
    )
    try:
        yield runner
    finally:
        runner.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Add the commands a failing test ran (with their output) to its report."""
    report = yield
    log = item.stash.get(_LOG, None)
    if report.failed and report.when == "call" and log is not None:
        text = log.render()
        if text:
            report.sections.append(("jobharness terminal commands", text))
    return report
