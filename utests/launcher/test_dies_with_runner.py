"""What the launcher starts dies with the Python process that started it, however it ends."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from .processes import alive, kill, wait_gone

RUNNER = Path(__file__).with_name("launching_runner.py")


def _start_runner(*args: str) -> tuple[subprocess.Popen[str], list[int], list[Path]]:
    runner = subprocess.Popen(
        [sys.executable, str(RUNNER), *args], stdout=subprocess.PIPE, text=True
    )
    assert runner.stdout is not None
    started = json.loads(runner.stdout.readline())
    return runner, started["pids"], [Path(workdir) for workdir in started["workdirs"]]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
def test_processes_die_with_a_killed_runner(tmp_path: Path, signum: int) -> None:
    runner, pids, _ = _start_runner("wait", str(tmp_path))
    try:
        assert len(pids) == 6 and all(alive(pid) for pid in pids)
        runner.send_signal(signum)
        assert runner.wait(60) == -signum
        assert wait_gone(pids) == []
    finally:
        runner.kill()
        runner.wait()
        kill(pids)


def test_processes_left_running_are_stopped_at_interpreter_exit() -> None:
    runner, pids, workdirs = _start_runner("exit")
    try:
        assert runner.wait(60) == 0
        assert wait_gone(pids) == []
        assert not any(workdir.exists() for workdir in workdirs)
    finally:
        runner.kill()
        runner.wait()
        kill(pids)
