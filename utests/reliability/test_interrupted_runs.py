"""Runs interrupted at a random moment leave no job running on a server and no process behind.

robot, pabot, pytest and pytest-xdist runs start saltant jobs on this
session's server (which outlives them) and embedded sandbox servers of
their own; they get SIGINT, SIGTERM or SIGKILL at a random moment once the
jobs run. Afterwards the server is asked which of their jobs still run,
and the machine which of their processes are alive. After SIGKILL nothing
can cancel a job: those are counted apart.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from jobharness.backends.saltant import SaltantClient
from jobharness.backends.terminal.interactive import terminal_signals
from jobharness.targets import Target

from .conftest import scaled
from .figures import record

ROBOT_SUITE = """\
*** Settings ***
Library    robotlib.SaltantLibrary
Library    robotlib.SandboxLibrary

*** Test Cases ***
Holds Jobs
    Connect To Sandbox
    Execute In Sandbox    true
    ${job}=    Start Task Instance    %{TYPE_ID}    %{QUEUE_ID}
    Evaluate    pathlib.Path(os.environ["MARK"]).write_text("started")    modules=pathlib,os
    Wait For Task Instance    ${job}    timeout=1 min
"""

PYTEST_MODULE = """\
import os, pathlib

def test_holds_jobs(sandbox, saltant_job):
    sandbox.execute({"commands": ["true"]})
    job = saltant_job(int(os.environ["TYPE_ID"]), int(os.environ["QUEUE_ID"]))
    pathlib.Path(os.environ["MARK"]).write_text("started")
    job.wait(60)
"""

RUNNERS = ["robot", "pabot", "pytest", "pytest-xdist"]
SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGKILL]
ROUNDS = scaled(1, 3)


def descendants(root: int) -> set[int]:
    """The PIDs of every process below ``root`` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def command_for(runner: str, directory: Path) -> list[str]:
    if runner == "robot":
        return [sys.executable, "-m", "robot", "--outputdir", "out", "hold.robot"]
    if runner == "pabot":
        pabot = str(Path(sys.executable).with_name("pabot"))
        return [pabot, "--processes", "2", "--outputdir", "out", "--no-pabotlib", "hold.robot"]
    base = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "test_hold.py"]
    return base + (["-n", "2"] if runner == "pytest-xdist" else [])


@pytest.mark.parametrize("signum", SIGNALS, ids=lambda s: signal.Signals(s).name)
@pytest.mark.parametrize("runner", RUNNERS)
def test_an_interrupted_run_leaves_nothing_running(
    saltant_server: Target,
    saltant: SaltantClient,
    sleep_queue: tuple[int, int],
    tmp_path: Path,
    runner: str,
    signum: int,
) -> None:
    if runner == "pabot" and signum != signal.SIGINT:
        pytest.xfail("pabot: a robot worker outlives SIGTERM/SIGKILL of pabot (open finding)")
    for round_ in range(ROUNDS):
        directory = tmp_path / f"round-{round_}"
        directory.mkdir()
        (directory / "hold.robot").write_text(ROBOT_SUITE)
        (directory / "test_hold.py").write_text(PYTEST_MODULE)
        mark = directory / "started.txt"
        tag = uuid.uuid4().hex[:8]
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "SALTANT"))},
            "TYPE_ID": str(sleep_queue[0]),
            "QUEUE_ID": str(sleep_queue[1]),
            "MARK": str(mark),
            "JOBHARNESS_SALTANT_URL": saltant_server.url,
            "JOBHARNESS_SALTANT_TOKEN": str(saltant_server.info["token"]),
            "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
            "JOBHARNESS_RUN_TAG": tag,
        }
        before = {i.uuid for i in saltant.executable_task_instances.list({"status": "running"})}
        run = subprocess.Popen(
            command_for(runner, directory),
            cwd=directory,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=terminal_signals,  # SIGINT reaches it, also when this run ignores it
        )
        try:
            end = time.monotonic() + 120
            while not mark.exists():
                assert run.poll() is None, f"{runner} ended before its jobs started"
                assert time.monotonic() < end, f"{runner} did not start its jobs"
                time.sleep(0.05)
            time.sleep(random.uniform(0.0, 1.5))  # a random moment of the wait
            tree = descendants(run.pid)
            os.kill(run.pid, signum)
            if runner == "pabot" or signum == signal.SIGKILL:
                # pabot's workers and a killed runner's children get the signal as a
                # terminal's process group would
                os.killpg(run.pid, signum)
            run.wait(90)
        finally:
            if run.poll() is None:
                os.killpg(run.pid, signal.SIGKILL)
                run.wait()
        gone_by = time.monotonic() + 15
        while any(alive(pid) for pid in tree) and time.monotonic() < gone_by:
            time.sleep(0.1)
        left_processes = sorted(pid for pid in tree if alive(pid))
        mine = [
            instance
            for instance in saltant.executable_task_instances.list()
            if instance.uuid not in before
            and instance.state in ("created", "published", "running")
            and instance.task_queue == sleep_queue[1]
        ]
        for instance in mine:
            saltant.executable_task_instances.terminate(instance.uuid)
        if signum == signal.SIGKILL:
            record(
                interrupted_runs=1, jobs_left_sigkill=len(mine), processes_left=len(left_processes)
            )
        else:
            record(interrupted_runs=1, jobs_left=len(mine), processes_left=len(left_processes))
            assert not mine, f"{runner} {signal.Signals(signum).name}: jobs left {mine}"
        assert not left_processes, f"{runner}: processes left {left_processes}"
