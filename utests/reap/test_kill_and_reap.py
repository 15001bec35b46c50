"""A run killed with SIGKILL leaves jobs running; reaping its run id cancels them, and only them.

The killed runs (pytest and Robot) are subprocesses pointed at the session's
embedded saltant server; the reaping is done from the outside, three ways:
the ``jobharness reap`` command, ``pytest --jobharness-reap`` and the
``Reap Run`` keyword. Another run's job must survive each of them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from jobharness.backends.saltant import SaltantClient
from jobharness.runid import carries_run_id, job_name

from .conftest import Sleeper, unique

INNER_TEST = """\
import os, pathlib, time

def test_starts_two_jobs_then_hangs(saltant_job):
    ids = []
    for _ in range(2):
        job = saltant_job(int(os.environ["TYPE_ID"]), int(os.environ["QUEUE_ID"]), {"seconds": 120})
        ids.append(job.uuid)
    pathlib.Path(os.environ["UUID_FILE"]).write_text("\\n".join(ids))
    time.sleep(300)
"""

INNER_SUITE = """\
*** Settings ***
Library    robotlib.SaltantLibrary

*** Test Cases ***
Starts Two Jobs Then Hangs
    Connect To Saltant
    ${a}=    Start Task Instance    %{TYPE_ID}    %{QUEUE_ID}    seconds=120
    ${b}=    Start Task Instance    %{TYPE_ID}    %{QUEUE_ID}    seconds=120
    Evaluate    pathlib.Path(os.environ["UUID_FILE"]).write_text($a.id + " " + $b.id)
    ...    modules=pathlib,os
    Sleep    300 s
"""

REAP_SUITE = """\
*** Settings ***
Library    robotlib.JobLibrary

*** Test Cases ***
Reap A Killed Run
    ${result}=    Reap Run    %{REAP_ID}
    Should Be Equal As Integers    ${result.cancelled}    2
"""


def _kill_after_jobs_start(command: list[str], cwd: Path, env: dict[str, str]) -> list[str]:
    """Run ``command`` until it wrote its job ids, SIGKILL it; return the ids."""
    uuid_file = Path(env["UUID_FILE"])
    proc = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        end = time.monotonic() + 90
        while not uuid_file.exists() and proc.poll() is None and time.monotonic() < end:
            time.sleep(0.05)
        if not uuid_file.exists():
            output = proc.stdout.read() if proc.stdout and proc.poll() is not None else b""
            raise AssertionError(f"the run never started its jobs: {output.decode()}")
        time.sleep(0.2)  # the file is written in one call, but let the writer finish
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    return uuid_file.read_text().split()


def _states(saltant: SaltantClient, uuids: list[str]) -> list[str]:
    return [saltant.executable_task_instances.get(uuid).state for uuid in uuids]


def _other_run_job(saltant: SaltantClient, sleeper: Sleeper) -> str:
    """A running job of another run whose id extends the reaped one's."""
    manager = saltant.executable_task_instances
    other = manager.create(
        sleeper.type_id,
        sleeper.queue_id,
        {"seconds": 120},
        job_name(unique("other"), "outside"),
    )
    return other.uuid


def _check_reaped(saltant: SaltantClient, killed: list[str], other: str) -> None:
    manager = saltant.executable_task_instances
    for uuid in killed:
        assert manager.wait_until_finished(uuid, timeout=30).state == "terminated"
    try:
        assert manager.get(other).state in ("created", "published", "running")
    finally:
        manager.terminate(other)


def test_jobharness_reap_cancels_what_a_killed_pytest_run_left(
    tmp_path: Path, saltant: SaltantClient, sleeper: Sleeper
) -> None:
    run_id = unique("killed-pytest")
    env = {**sleeper.env, "JOBHARNESS_RUN_ID": run_id, "UUID_FILE": str(tmp_path / "ids")}
    (tmp_path / "test_inner.py").write_text(INNER_TEST)
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "test_inner.py"]
    killed = _kill_after_jobs_start(command, tmp_path, env)
    assert len(set(killed)) == 2
    names = [saltant.executable_task_instances.get(uuid).name for uuid in killed]
    assert len(set(names)) == 2, names
    assert all(carries_run_id(name, run_id) for name in names), names
    assert set(_states(saltant, killed)) <= {"created", "published", "running"}
    other = _other_run_job(saltant, sleeper)
    finished = saltant.executable_task_instances.create(
        sleeper.type_id, sleeper.queue_id, {"seconds": 0}, job_name(run_id, "done")
    )
    saltant.executable_task_instances.wait_until_finished(finished.uuid, timeout=30)

    reaped = subprocess.run(
        [sys.executable, "-m", "jobharness", "reap", run_id],
        env=sleeper.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert reaped.returncode == 0, reaped.stdout + reaped.stderr
    assert "saltant (http://127.0.0.1:" in reaped.stdout
    assert "found 3, cancelled 2, already finished 1, errors 0" in reaped.stdout
    assert "sandbox: nothing to reap: no server configured" in reaped.stdout
    assert sleeper.env["JOBHARNESS_SALTANT_TOKEN"] not in reaped.stdout + reaped.stderr
    _check_reaped(saltant, killed, other)


def test_pytest_option_reaps_what_a_killed_robot_run_left(
    tmp_path: Path, saltant: SaltantClient, sleeper: Sleeper
) -> None:
    run_id = unique("killed-robot")
    env = {**sleeper.env, "JOBHARNESS_RUN_ID": run_id, "UUID_FILE": str(tmp_path / "ids")}
    (tmp_path / "inner.robot").write_text(INNER_SUITE)
    command = [sys.executable, "-m", "robot", "--outputdir", str(tmp_path / "out"), "inner.robot"]
    killed = _kill_after_jobs_start(command, tmp_path, env)
    names = [saltant.executable_task_instances.get(uuid).name for uuid in killed]
    assert len(set(names)) == 2 and all(carries_run_id(n, run_id) for n in names), names
    other = _other_run_job(saltant, sleeper)

    reaped = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--jobharness-reap", run_id],
        cwd=tmp_path,
        env=sleeper.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert reaped.returncode == 0, reaped.stdout + reaped.stderr
    assert "found 2, cancelled 2, already finished 0, errors 0" in reaped.stdout
    _check_reaped(saltant, killed, other)


def test_reap_run_keyword_cancels_a_runs_jobs(
    tmp_path: Path, saltant: SaltantClient, sleeper: Sleeper
) -> None:
    run_id = unique("robot-reap")
    manager = saltant.executable_task_instances
    mine = [
        manager.create(
            sleeper.type_id, sleeper.queue_id, {"seconds": 120}, job_name(run_id, f"left-{n}")
        ).uuid
        for n in range(2)
    ]
    other = _other_run_job(saltant, sleeper)
    (tmp_path / "reap.robot").write_text(REAP_SUITE)

    run = subprocess.run(
        [sys.executable, "-m", "robot", "--outputdir", str(tmp_path / "out"), "reap.robot"],
        cwd=tmp_path,
        env={**sleeper.env, "REAP_ID": run_id},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert run.returncode == 0, run.stdout + run.stderr
    log = (tmp_path / "out" / "output.xml").read_text()
    assert "found 2, cancelled 2, already finished 0, errors 0" in log
    assert sleeper.env["JOBHARNESS_SALTANT_TOKEN"] not in log
    _check_reaped(saltant, mine, other)
