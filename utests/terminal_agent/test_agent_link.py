"""The link on real agent processes: start, replies in any order, liveness, protocol errors."""

from __future__ import annotations

import os
import signal
import sys

import pytest

from jobharness.backends.terminal import agent, wire
from jobharness.backends.terminal.agentlink import AgentLink, LinkSettings
from jobharness.backends.terminal.agentstream import LocalPython, PtyPython
from jobharness.backends.terminal.runner import RunnerTerminal
from jobharness.backends.terminal.runner_errors import (
    RunnerTerminalSessionBroken,
    SessionInitializationFailed,
)
from jobharness.deadline import Deadline
from utests.terminal_agent.conftest import QUICK, process_gone, wait_until


def start(settings: LinkSettings | None = None, python: str = sys.executable) -> AgentLink:
    return AgentLink(LocalPython(python).start(Deadline(10)), settings).start(Deadline(10))


def call(link: AgentLink, source: str, timeout: float = 10) -> object:
    pending = link.submit(
        wire.Encoder().pack({"op": "eval", "src": source}), source, Deadline(timeout)
    )
    assert link.wait(pending, Deadline(timeout))
    kind, payload = link.take(pending)
    assert kind == agent.RESULT, wire.unpack_error(payload)
    return wire.unpack(payload, lambda ref: ref)


def test_the_agent_says_hello() -> None:
    link = start()
    try:
        assert link.hello["protocol"] == agent.PROTOCOL
        assert link.hello["python"][:2] == list(sys.version_info[:2])
        assert call(link, "1+1") == 2
    finally:
        link.close()
    wait_until(lambda: process_gone(link.hello["pid"]))


def test_replies_come_in_any_order() -> None:
    link = start()
    try:
        call(link, "import threading; release = threading.Event()")
        slow = link.submit(  # answers only once released, however slow the machine is
            wire.Encoder().pack({"op": "eval", "src": "release.wait(30) and 'slow'"}),
            "slow",
            Deadline(40),
        )
        fast = link.submit(
            wire.Encoder().pack({"op": "eval", "src": "'fast'"}), "fast", Deadline(10)
        )
        assert link.wait(fast, Deadline(10))
        assert not slow.done
        assert wire.unpack(link.take(fast)[1], lambda r: r) == "fast"
        call(link, "release.set()")
        assert link.wait(slow, Deadline(40))
        assert wire.unpack(link.take(slow)[1], lambda r: r) == "slow"
    finally:
        link.close()


def test_many_slow_calls_run_side_by_side() -> None:
    link = start()
    try:
        # eight calls that each wait for all eight: run one after the other, they would
        # break the barrier (after its 30 s) instead of answering
        call(link, "import threading; gate = threading.Barrier(8, timeout=30)")
        calls = [
            link.submit(
                wire.Encoder().pack({"op": "eval", "src": "gate.wait() >= 0"}), "s", Deadline(40)
            )
            for _ in range(8)
        ]
        for pending in calls:
            assert link.wait(pending, Deadline(40))
            kind, payload = link.take(pending)
            assert kind == agent.RESULT, wire.unpack_error(payload)
            assert wire.unpack(payload, lambda ref: ref) is True
        assert call(link, "2") == 2
    finally:
        link.close()


def test_the_end_of_the_agent_is_seen_at_once() -> None:
    link = start()
    try:
        os.kill(link.hello["pid"], signal.SIGKILL)
        wait_until(lambda: link.broken)
        assert "end of file" in (link.reason or "")
    finally:
        link.close()


def test_a_frozen_agent_is_seen_by_the_heartbeat() -> None:
    link = start(QUICK)
    try:
        os.kill(link.hello["pid"], signal.SIGSTOP)
        pending = link.submit(wire.Encoder().pack({"op": "eval", "src": "1"}), "1", Deadline(10))
        assert link.wait(pending, Deadline(10))  # ends by the heartbeat, long before 10 s
        with pytest.raises(RunnerTerminalSessionBroken, match="heartbeat"):
            link.take(pending)
    finally:
        os.kill(link.hello["pid"], signal.SIGCONT)
        link.close()


def test_a_busy_agent_still_answers_heartbeats() -> None:
    link = start(QUICK)
    try:
        assert call(link, "import time; time.sleep(1.5); 'done'") == "done"
        assert not link.broken
    finally:
        link.close()


def test_prints_never_reach_the_frame_stream() -> None:
    link = start()
    try:
        forged = wire.frame(agent.RESULT, 1, wire.Encoder().pack("forged"))
        source = (
            f"import os, sys, subprocess; print({forged!r}); os.write(1, {forged!r}); "
            "sys.stdout.flush(); subprocess.run(['echo', 'child output']); 'real'"
        )
        assert call(link, source) == "real"
        assert call(link, "3") == 3
        wait_until(lambda: "child output" in link.stderr_tail())
        assert "forged" not in repr(link.pending(1))
    finally:
        link.close()


GARBAGE = (
    "import os, sys, time\n"
    "os.write(sys.modules['jobharness_agent'].RUNNING.out_fd, b'Traceback: garbage')\n"
    "time.sleep(5)"
)


def test_garbage_in_the_frame_stream_breaks_the_link_cleanly() -> None:
    link = start()
    try:
        pending = link.submit(
            wire.Encoder().pack(
                {
                    "op": "eval",
                    "src": GARBAGE,
                }
            ),
            "garbage",
            Deadline(10),
        )
        # the agent's real output descriptor is found through its module, as hostile code could
        link.wait(pending, Deadline(10))
        with pytest.raises(RunnerTerminalSessionBroken):
            link.take(pending)
    finally:
        link.close()


def test_a_start_that_fails_says_why() -> None:
    with pytest.raises(SessionInitializationFailed, match=r"cannot start|No such file"):
        RunnerTerminal(LocalPython("/nonexistent/python3")).initialize()
    with pytest.raises(SessionInitializationFailed, match="printed"):
        RunnerTerminal(LocalPython("/bin/echo")).initialize()


def test_the_terminal_path_switches_the_stream_to_frames() -> None:
    runner = RunnerTerminal(PtyPython(sys.executable))
    runner.initialize()
    try:
        assert runner._link is not None and runner._link.hello["tty"] is True
        data = bytes(range(256)) * 64
        assert runner.run_python_call("bytes", data) == data
        assert runner.run_python("print('kept aside'); 5") == 5
        kept = ""

        def printed() -> bool:
            nonlocal kept
            kept += runner.agent_output()
            return "kept aside" in kept

        wait_until(printed)
    finally:
        runner.close()
