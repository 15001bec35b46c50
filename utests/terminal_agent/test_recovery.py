"""AutoRunnerTerminal: a dead agent, shell or frozen process is seen and replaced.

The properties "within 1 s" are measured in the benchmark; here the outcome
is checked, with bounds far beyond what any load makes of them.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import sys
import time

import pytest

from jobharness.backends.terminal.agentlink import AgentLink
from jobharness.backends.terminal.agentstream import LocalPython
from jobharness.backends.terminal.autorunner import AutoRunnerTerminal
from jobharness.backends.terminal.runner_errors import (
    InvalidProxySession,
    RunnerTerminalSessionBroken,
    SessionInitializationFailed,
)
from jobharness.backends.terminal.spec import LocalShell
from utests.terminal_agent.conftest import QUICK, ShellParent, process_gone, wait_until

GENEROUS = 10.0


def broken(link: AgentLink | None) -> bool:
    return link is not None and link.broken


def agent_pid(runner: AutoRunnerTerminal) -> int:
    return int(runner.run_python("__import__('os').getpid()"))


def test_nothing_starts_before_the_first_call(auto_runner: AutoRunnerTerminal) -> None:
    auto_runner.initialize_with_shells(LocalPython(sys.executable))
    assert auto_runner._link is None
    assert auto_runner.run_python("1+1") == 2
    auto_runner.initialize_if_needed()
    assert auto_runner.recoveries == 0


def test_a_killed_agent_is_replaced_twenty_times(auto_runner: AutoRunnerTerminal) -> None:
    prepared: list[int] = []
    auto_runner.initialize_with_shells(
        LocalPython(sys.executable), prepare=lambda: prepared.append(auto_runner.epoch)
    )
    auto_runner.declare_import("os")
    declared = auto_runner.declare_proxy("numbers", "[1, 2, 3]")
    for round_ in range(20):
        pid = agent_pid(auto_runner)
        stale = auto_runner.get_proxy_object_from_call("dict")
        link = auto_runner._link
        os.kill(pid, signal.SIGKILL)
        killed = time.monotonic()
        wait_until(functools.partial(broken, link), GENEROUS)
        assert auto_runner.run_python("os.getpid()") != pid  # the declared import is there again
        assert time.monotonic() - killed < GENEROUS
        assert declared.as_local_value() == [1, 2, 3]
        with pytest.raises(InvalidProxySession):
            stale.keys()
        assert auto_runner.recoveries == round_ + 1
    assert len(prepared) == 21 and len(set(prepared)) == 21


def test_a_killed_shell_is_replaced_twenty_times() -> None:
    shells = ShellParent()
    runner = AutoRunnerTerminal(shells, settings=QUICK, default_timeout=30)
    try:
        for _ in range(20):
            pid = agent_pid(runner)
            link = runner._link
            os.kill(shells.shells[-1], signal.SIGKILL)
            wait_until(functools.partial(broken, link), GENEROUS)  # the agent saw it
            assert agent_pid(runner) != pid
            wait_until(functools.partial(process_gone, pid), GENEROUS)
        assert runner.recoveries == 20
    finally:
        runner.close()


def test_a_frozen_agent_is_replaced(auto_runner: AutoRunnerTerminal) -> None:
    auto_runner.initialize_with_shells(LocalPython(sys.executable))
    pid = agent_pid(auto_runner)
    os.kill(pid, signal.SIGSTOP)
    try:
        with pytest.raises(RunnerTerminalSessionBroken, match="heartbeat"):
            auto_runner.run_python("1")
        assert agent_pid(auto_runner) != pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)
    wait_until(lambda: process_gone(pid), GENEROUS)


def test_a_call_in_flight_is_not_sent_again(auto_runner: AutoRunnerTerminal) -> None:
    auto_runner.initialize_with_shells(LocalPython(sys.executable))
    auto_runner.run_python("import os, time")
    with pytest.raises(RunnerTerminalSessionBroken):
        auto_runner.run_python("os.kill(os.getpid(), 9)")
    assert auto_runner.run_python("'fresh'") == "fresh"


def test_a_request_that_never_left_goes_to_the_new_agent(auto_runner: AutoRunnerTerminal) -> None:
    auto_runner.initialize_with_shells(LocalPython(sys.executable))
    first = agent_pid(auto_runner)
    link = auto_runner._link
    assert link is not None
    read_only = os.open(os.devnull, os.O_RDONLY)
    os.dup2(read_only, link.stream.write_fd)  # the next write fails before any byte leaves
    os.close(read_only)
    assert agent_pid(auto_runner) != first
    assert auto_runner.recoveries == 1


def test_prepare_fills_empty_proxies_crl_style(auto_runner: AutoRunnerTerminal) -> None:
    path = auto_runner.create_empty_remote_proxy()

    def prepare() -> None:
        auto_runner.import_libraries("os")
        path.set_from_remote_proxy(auto_runner.get_proxy_object("os.path", None))

    finalized: list[bool] = []
    auto_runner.initialize_with_shells(
        LocalPython(sys.executable), prepare=prepare, finalize=lambda: finalized.append(True)
    )
    auto_runner.initialize_if_needed()
    assert path.join("a", "b") == "a/b"
    os.kill(agent_pid(auto_runner), signal.SIGKILL)
    wait_until(lambda: auto_runner._link is not None and auto_runner._link.broken, GENEROUS)
    auto_runner.initialize_if_needed()
    assert path.join("c", "d") == "c/d"
    auto_runner.close()
    assert finalized == [True]


def test_a_target_that_does_not_start_fails_within_the_recovery_time() -> None:
    runner = AutoRunnerTerminal(LocalPython("/nonexistent/python3"), recovery_timeout=0.5)
    began = time.monotonic()
    with pytest.raises(SessionInitializationFailed, match=r"within 0\.5 s"):
        runner.run_python("1")
    assert time.monotonic() - began < GENEROUS


def test_a_failing_prepare_fails_the_start(auto_runner: AutoRunnerTerminal) -> None:
    auto_runner.initialize_with_shells(LocalPython(sys.executable), prepare=lambda: 1 / 0)
    with pytest.raises(SessionInitializationFailed, match="prepare"):
        auto_runner.run_python("1")


def test_local_hop_specs_start_an_agent_where_they_say(tmp_path) -> None:
    runner = AutoRunnerTerminal(default_timeout=30)
    runner.initialize_with_shells(LocalShell(workdir=str(tmp_path)))
    try:
        assert runner.run_python("__import__('os').getcwd()") == str(tmp_path)
    finally:
        runner.close()


def test_calls_from_many_threads_live_through_a_recovery(auto_runner: AutoRunnerTerminal) -> None:
    import threading

    auto_runner.initialize_with_shells(LocalPython(sys.executable))
    pid = agent_pid(auto_runner)
    stop = threading.Event()
    outcomes: list[str] = []

    def work() -> None:
        while not stop.is_set():
            try:
                auto_runner.run_python("1 + 1")
                outcomes.append("ok")
            except RunnerTerminalSessionBroken:
                outcomes.append("broken")  # in flight when the agent died
            except BaseException as exc:  # anything else fails the test
                outcomes.append(repr(exc))

    def replaced() -> bool:
        with contextlib.suppress(RunnerTerminalSessionBroken):
            return agent_pid(auto_runner) != pid
        return False

    threads = [threading.Thread(target=work, daemon=True) for _ in range(4)]
    try:
        for thread in threads:
            thread.start()
        time.sleep(0.2)
        os.kill(pid, signal.SIGKILL)
        wait_until(replaced, GENEROUS)
        time.sleep(0.2)
    finally:
        stop.set()
        for thread in threads:
            thread.join(GENEROUS)
    assert set(outcomes) <= {"ok", "broken"}, set(outcomes)
    assert outcomes[-4:] == ["ok"] * 4 and auto_runner.recoveries == 1
