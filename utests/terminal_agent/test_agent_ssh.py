"""The agent over ssh: a bare channel of the terminal core's ControlMaster to the embedded sshd.

The sshd is jobharness's own (``jobharness serve sshd``), started through the
terminal target like the terminal utests do. Skipped, with the reason, when
OpenSSH is not installed. Kills happen on this machine (the sshd is local),
by process id: the remote Python, the shell it runs under, and the sshd
process serving the connection, twenty times each.
"""

from __future__ import annotations

import functools
import os
import shlex
import signal
from collections.abc import Iterator

import pytest

from jobharness.backends.terminal import SshHop, Terminal, target_hop
from jobharness.backends.terminal.agent import BOOTSTRAP
from jobharness.backends.terminal.agentlink import AgentLink
from jobharness.backends.terminal.agentstream import ChannelStream, RoutePython
from jobharness.backends.terminal.autorunner import AutoRunnerTerminal
from jobharness.backends.terminal.proxies import RemoteProxy
from jobharness.deadline import Deadline
from jobharness.targets import Target
from utests.terminal_agent.conftest import QUICK, process_gone, wait_until

WITHIN = 30.0  # generous: the outcome counts here, the time is the benchmark's


@pytest.fixture
def terminal(hop: SshHop) -> Iterator[Terminal]:
    """A terminal to the sshd (one login), closed after the test."""
    with Terminal(hop, default_timeout=30) as opened:
        yield opened


class UnderShell(RoutePython):
    """The agent under a remote shell that stays its parent (not exec'd)."""

    def start(self, deadline: Deadline) -> ChannelStream:
        """``python3 -u -c BOOTSTRAP; :`` on a channel."""
        command = f"python3 -u -c {shlex.quote(BOOTSTRAP)}; :"
        return ChannelStream(self.terminal.open_channel(command, deadline=deadline), "sh python3")


def broken(link: AgentLink | None) -> bool:
    return link is not None and link.broken


def parent_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[1])


def test_the_agent_works_over_ssh(terminal: Terminal) -> None:
    runner = AutoRunnerTerminal(RoutePython(terminal), default_timeout=30)
    try:
        assert runner.run_python("1+1") == 2
        blob = os.urandom(1 << 20)
        assert runner.run_python_call("bytes", blob) == blob
        assert runner.get_recursive_proxy("__import__('os').path").join("a", "b") == "a/b"
        assert isinstance(runner.get_proxy_object_from_call("dict"), RemoteProxy)
        assert runner.run_python("print('to stderr'); 3") == 3
        assert runner._link is not None and runner._link.hello["tty"] is False
    finally:
        runner.close()


def test_a_killed_python_is_replaced_twenty_times(terminal: Terminal) -> None:
    runner = AutoRunnerTerminal(RoutePython(terminal), default_timeout=30, settings=QUICK)
    declared = runner.declare_proxy("answer", "6 * 7")
    try:
        for _ in range(20):
            pid = runner.run_python("__import__('os').getpid()")
            stale = runner.get_proxy_object_from_call("dict")
            link = runner._link
            os.kill(pid, signal.SIGKILL)
            wait_until(functools.partial(broken, link), WITHIN)
            assert runner.run_python("__import__('os').getpid()") != pid
            assert declared.as_local_value() == 42
            with pytest.raises(Exception, match="connection"):
                stale.keys()
        assert runner.recoveries == 20
        assert terminal.logins == 1  # the connection stayed; only channels were replaced
    finally:
        runner.close()


def test_a_killed_remote_shell_is_replaced_twenty_times(terminal: Terminal) -> None:
    runner = AutoRunnerTerminal(UnderShell(terminal), default_timeout=30, settings=QUICK)
    try:
        for _ in range(20):
            pid = runner.run_python("__import__('os').getpid()")
            link = runner._link
            os.kill(parent_of(pid), signal.SIGKILL)
            wait_until(functools.partial(broken, link), WITHIN)
            assert runner.run_python("__import__('os').getpid()") != pid
            wait_until(functools.partial(process_gone, pid), WITHIN)
        assert runner.recoveries == 20
    finally:
        runner.close()


def test_a_killed_ssh_session_is_replaced_twenty_times(hop: SshHop) -> None:
    terminal = Terminal(hop, default_timeout=30)
    runner = AutoRunnerTerminal(RoutePython(terminal), default_timeout=30, settings=QUICK)
    try:
        for _ in range(20):
            pid = runner.run_python("__import__('os').getpid()")
            link = runner._link
            os.kill(parent_of(pid), signal.SIGKILL)  # the sshd process of the connection
            wait_until(functools.partial(broken, link), WITHIN)
            assert runner.run_python("__import__('os').getpid()") != pid
        assert runner.recoveries == 20
        assert terminal.logins == 21
    finally:
        runner.close()
        terminal.close()


def test_no_secret_of_a_password_route_shows(sshd: Target) -> None:
    password = sshd.info.get("password")
    if not password:
        pytest.skip("the sshd's account has no password (password logins need root)")
    with Terminal(target_hop(sshd, use_password=True), default_timeout=30) as terminal:
        runner = AutoRunnerTerminal(RoutePython(terminal), default_timeout=30)
        try:
            runner.run_python(f"import sys; sys.stderr.write({password!r} + chr(10))")
            with pytest.raises(ValueError) as caught:
                runner.run_python(f"raise ValueError({password!r})")
            wait_until(lambda: "***" in runner.agent_output(), WITHIN)
            assert password not in runner.agent_output()
            assert password not in runner.describe() and password not in repr(runner)
            assert "ValueError" in str(caught.value) and password not in str(caught.value)
            assert password not in caught.value.remote_traceback
        finally:
            runner.close()


def test_initialize_with_shells_takes_an_ssh_hop(hop: SshHop) -> None:
    runner = AutoRunnerTerminal(default_timeout=30)
    runner.initialize_with_shells([hop], prepare=lambda: runner.import_libraries("os"))
    try:
        assert runner.run_python("os.getpid()") > 0
        starter = runner._starter
        assert isinstance(starter, RoutePython) and starter.owned
    finally:
        runner.close()
    assert not starter.terminal.connected  # the runner's own connection is closed with it
