"""The agent's operations behind commands, copies and local modules, on local agents.

Also the release of a proxy before its holder goes (what the Robot library
does when a test ends) and a module declared once that comes back after the
agent is killed.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from jobharness.backends.terminal.autorunner import AutoRunnerTerminal
from jobharness.backends.terminal.runner import RunnerTerminal
from jobharness.backends.terminal.runner_errors import InvalidProxySession, RemoteError
from robotlib.terminal.proxies import release
from utests.terminal_agent.conftest import wait_until

MODULE = "COUNT = 41\n\ndef bump(step=1):\n    return COUNT + step\n"


def run(runner: RunnerTerminal, **payload: object) -> object:
    return runner._request({"ret": "value", **payload}, "test", timeout=30)


def test_a_command_comes_back_with_status_and_outputs_apart(runner: RunnerTerminal) -> None:
    reply = run(runner, op="run", cmd="cat; echo err >&2; exit 5", input=b"in\x00put", timeout=10)
    assert isinstance(reply, dict)
    assert (reply["status"], reply["stdout"], reply["stderr"]) == (5, b"in\x00put", b"err\n")
    assert reply["timed_out"] is False


def test_a_command_past_its_timeout_gets_sigterm_then_sigkill(runner: RunnerTerminal) -> None:
    reply = run(runner, op="run", cmd="echo started; exec sleep 30", timeout=0.3, grace=1)
    assert isinstance(reply, dict)
    assert (reply["status"], reply["stdout"], reply["timed_out"]) == (-15, b"started\n", True)
    stubborn = "trap '' TERM; echo up; while :; do sleep 0.05; done"
    reply = run(runner, op="run", cmd=stubborn, timeout=0.3, grace=0.2)
    assert isinstance(reply, dict)
    assert (reply["status"], reply["timed_out"]) == (-9, True)


def test_files_are_written_appended_and_read_back_byte_for_byte(
    runner: RunnerTerminal, tmp_path: Path
) -> None:
    path = str(tmp_path / "f")
    data = os.urandom(70000)
    assert run(runner, op="write", path=path, data=data[:1000], mode=None) == 1000
    assert run(runner, op="write", path=path, data=data[1000:], append=True, mode=0o640) == 70000
    assert Path(path).read_bytes() == data
    assert Path(path).stat().st_mode & 0o777 == 0o640
    assert run(runner, op="read", path=path, offset=0, size=1 << 20) == data
    assert run(runner, op="read", path=path, offset=69990, size=100) == data[69990:]
    with pytest.raises(FileNotFoundError):  # a RemoteError that is also the builtin
        run(runner, op="read", path=str(tmp_path / "missing"), size=10)


def test_a_module_from_source_is_importable_and_its_errors_say_where(
    runner: RunnerTerminal,
) -> None:
    runner.declare_module("jh_sent", MODULE, "/local/jh_sent.py")
    assert runner.run_python("jh_sent.bump(1)") == 42
    assert runner.run_python("import jh_sent as again; again.COUNT") == 41
    with pytest.raises(RemoteError) as raised:
        runner.declare_module("jh_broken", "def f(:\n", "/local/jh_broken.py")
    assert "jh_broken.py" in raised.value.remote_traceback
    assert [b.name for b in runner._bindings] == ["jh_sent"]  # the broken one is not kept
    with pytest.raises(Exception, match="not a module name"):
        runner.declare_module("not-a-name", MODULE)


def test_a_declared_module_comes_back_after_the_agent_is_killed(
    auto_runner: AutoRunnerTerminal,
) -> None:
    auto_runner.initialize_if_needed()
    auto_runner.declare_module("jh_sent", MODULE)
    pid = auto_runner.run_python("__import__('os').getpid()")
    link = auto_runner._link
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: link is not None and link.broken)
    assert auto_runner.run_python("jh_sent.bump(2)") == 43
    assert auto_runner.recoveries == 1


def test_a_released_proxy_fails_fast_and_its_object_goes(runner: RunnerTerminal) -> None:
    runner.run_python("import gc, weakref\nclass Thing: pass")
    proxy = runner.get_proxy_object_from_call("Thing")
    runner.assign_and_run_python("probe", f"weakref.ref({proxy.get_proxy_handle()})")
    assert runner.run_python("probe() is not None") is True
    assert release(proxy) is True
    assert release(proxy) is False
    with pytest.raises(InvalidProxySession, match="released"):
        proxy.get_proxy_handle()
    runner.run_python("1")  # carries the release
    assert runner.run_python("gc.collect(); probe() is None") is True
    assert release(runner.get_proxy_object("os", None)) is False  # a name holds nothing
