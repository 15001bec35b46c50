"""A pytest or Robot run killed by SIGTERM or SIGKILL leaves none of its embedded servers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .processes import alive, kill, wait_gone

PYTEST_MODULE = """\
import json, os, time

def test_holds_servers(sandbox_server, saltant_server, harp_server):
    targets = [sandbox_server, saltant_server, harp_server.target]
    pids = [p for t in targets for s in t.servers for p in (s.pid, s.group_id)]
    with open(os.environ["PID_FILE"], "w") as out:
        json.dump(pids, out)
    time.sleep(300)
"""

ROBOT_SUITE = """\
*** Settings ***
Library    robotlib.SandboxLibrary
Library    robotlib.HarpLibrary

*** Test Cases ***
Holds Servers
    Connect To Sandbox
    Connect To Harp Dispatcher
    ${sandbox}=    Get Library Instance    robotlib.SandboxLibrary
    ${harp}=    Get Library Instance    robotlib.HarpLibrary
    ${targets}=    Evaluate    [$sandbox.ctx.embedded_target, $harp.ctx.embedded_target]
    ${pids}=    Evaluate    [p for t in $targets for s in t.servers for p in (s.pid, s.group_id)]
    Evaluate    pathlib.Path($PID_FILE).write_text(json.dumps($pids))    modules=pathlib,json
    Sleep    300 s
"""


def _run_and_kill(command: list[str], cwd: Path, pid_file: Path, signum: int) -> list[int]:
    env = {**os.environ, "PID_FILE": str(pid_file)}
    run = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not pid_file.exists() or not pid_file.read_text():
            assert run.poll() is None, "the run ended before it held its servers"
            assert time.monotonic() < deadline, "the run did not start its servers"
            time.sleep(0.05)
        pids = [int(pid) for pid in json.loads(pid_file.read_text())]
        assert pids and all(alive(pid) for pid in pids)
        run.send_signal(signum)
        run.wait(120)
        return pids
    finally:
        run.kill()
        run.wait()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
def test_a_killed_pytest_run_leaves_no_embedded_server(tmp_path: Path, signum: int) -> None:
    (tmp_path / "test_hold.py").write_text(PYTEST_MODULE)
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "test_hold.py"]
    pids = _run_and_kill(command, tmp_path, tmp_path / "pids.json", signum)
    try:
        assert wait_gone(pids) == []
    finally:
        kill(pids)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
def test_a_killed_robot_run_leaves_no_embedded_server(tmp_path: Path, signum: int) -> None:
    (tmp_path / "hold.robot").write_text(ROBOT_SUITE)
    command = [sys.executable, "-m", "robot", "--outputdir", str(tmp_path / "out")]
    command += ["--variable", f"PID_FILE:{tmp_path / 'pids.json'}", "hold.robot"]
    pids = _run_and_kill(command, tmp_path, tmp_path / "pids.json", signum)
    try:
        assert wait_gone(pids) == []
    finally:
        kill(pids)
