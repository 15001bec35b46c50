"""Fixtures of the remote Python agent tests: local agents on this machine's interpreters.

Everything runs against real agent processes (``python -u -c BOOTSTRAP`` on
pipes, or typed into a local pseudo-terminal); nothing is mocked. The ssh
path comes with the terminal core.
"""

from __future__ import annotations

import glob
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest

from jobharness.backends.terminal import SshHop, target_hop
from jobharness.backends.terminal.agent import BOOTSTRAP
from jobharness.backends.terminal.agentlink import LinkSettings
from jobharness.backends.terminal.agentstream import LocalPython, ProcessStream
from jobharness.backends.terminal.autorunner import AutoRunnerTerminal
from jobharness.backends.terminal.runner import RunnerTerminal
from jobharness.deadline import Deadline
from jobharness.targets import Target
from utests.terminal.helpers import embedded_sshd

QUICK = LinkSettings(heartbeat_interval=0.1, heartbeat_timeout=0.5)
"""Heartbeat settings that keep the liveness tests short."""


def interpreters() -> list[str]:
    """One python3.8 ... python3.13 of each version found (pyenv's first, then /usr/bin)."""
    found: dict[str, str] = {}
    candidates = sorted(glob.glob("/root/.pyenv/versions/3.*/bin/python3"))
    candidates += [f"/usr/bin/python3.{minor}" for minor in range(8, 14)]
    for path in candidates:
        if not os.access(path, os.X_OK):
            continue
        version = subprocess.run(
            [path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        if version in {f"3.{minor}" for minor in range(8, 14)}:
            found.setdefault(version, path)
    return [found[v] for v in sorted(found, key=lambda v: int(v.split(".")[1]))]


class ShellParent:
    """Starts the agent under a shell that stays its parent, so the shell can be killed."""

    def __init__(self, python: str = sys.executable) -> None:
        self.python = python
        self.shells: list[int] = []

    def start(self, deadline: Deadline) -> ProcessStream:
        """``sh -c 'python -u -c BOOTSTRAP; :'`` (the ``:`` keeps sh from exec-ing python)."""
        line = f"{shlex.quote(self.python)} -u -c {shlex.quote(BOOTSTRAP)}; :"
        stream = ProcessStream(["/bin/sh", "-c", line], "shell python")
        self.shells.append(stream.process.pid)
        return stream

    def describe(self) -> str:
        """For messages."""
        return f"sh -> {self.python}"


@pytest.fixture
def runner() -> Iterator[RunnerTerminal]:
    """A started runner on a local agent (this interpreter), closed after the test."""
    terminal = RunnerTerminal(LocalPython(sys.executable), default_timeout=30)
    terminal.initialize()
    yield terminal
    terminal.close()


@pytest.fixture
def auto_runner() -> Iterator[AutoRunnerTerminal]:
    """An auto-recovering runner (quick heartbeats), not started yet; closed after the test."""
    terminal = AutoRunnerTerminal(LocalPython(sys.executable), default_timeout=30, settings=QUICK)
    yield terminal
    terminal.close()


def wait_until(condition: Callable[[], object], timeout: float = 10.0) -> None:
    """Poll ``condition`` until it is true; fail the test after ``timeout`` seconds."""
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            pytest.fail(f"not true within {timeout} s: {condition}")
        time.sleep(0.01)


def process_gone(pid: int) -> bool:
    """True once ``pid`` does not run (or is a zombie)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


@pytest.fixture(scope="module")
def sshd() -> Iterator[Target]:
    """The embedded sshd (one per module and xdist worker)."""
    with embedded_sshd() as target:
        yield target


@pytest.fixture(scope="module")
def hop(sshd: Target) -> SshHop:
    """The embedded sshd's test account, by key."""
    return target_hop(sshd)
