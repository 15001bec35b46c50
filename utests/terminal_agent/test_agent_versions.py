"""The agent on every Python 3.8 ... 3.13 this machine has (pyenv's, /usr/bin's)."""

from __future__ import annotations

import math
import os

import pytest

from jobharness.backends.terminal.agentstream import LocalPython, PtyPython
from jobharness.backends.terminal.proxies import RecursiveProxy
from jobharness.backends.terminal.runner import RunnerTerminal
from utests.terminal_agent.conftest import interpreters

FOUND = interpreters()


def test_some_interpreters_were_found() -> None:
    if not FOUND:
        pytest.skip("no python3.8 ... 3.13 on this machine")
    assert FOUND


@pytest.mark.parametrize("python", FOUND, ids=os.path.basename)
def test_the_agent_works_on(python: str) -> None:
    runner = RunnerTerminal(LocalPython(python), default_timeout=30)
    runner.initialize()
    try:
        version = runner.run_python("import sys; '%d.%d' % sys.version_info[:2]")
        assert version.startswith("3.")
        assert runner.run_python("x = (1,\n 2)\nx") == (1, 2)
        data = bytes(range(256))
        assert runner.run_python_call("bytes", data) == data
        assert runner.run_python("[2**9000, float('nan'), {1: frozenset({2})}]")[0] == 2**9000
        assert math.isnan(runner.run_python("float('nan')"))
        recursive = runner.get_recursive_proxy("__import__('os')")
        path = recursive.path
        assert isinstance(path, RecursiveProxy) and path.join("a", "b") == "a/b"
        mapping = runner.get_proxy_object_from_call("dict", a=1)
        assert mapping.get("a") == 1 and mapping.as_local_value() == {"a": 1}
        with pytest.raises(KeyError):
            mapping["missing"]
        job = runner.start_python("import time; time.sleep(0.05); 'bg'")
        assert job.value(10) == "bg"
    finally:
        runner.close()


@pytest.mark.parametrize("python", FOUND[:1] + FOUND[-1:], ids=os.path.basename)
def test_the_terminal_start_works_on(python: str) -> None:
    runner = RunnerTerminal(PtyPython(python), default_timeout=30)
    runner.initialize()
    try:
        assert runner.run_python_call("bytes", b"\x03\x04\r\n\x1a") == b"\x03\x04\r\n\x1a"
    finally:
        runner.close()
