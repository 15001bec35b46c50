"""Interrupted runs leave nothing running: a Robot test [Timeout], a pytest run cut by SIGINT.

Both runs are subprocesses pointed at this session's server; afterwards the API
must show their task instance terminated.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from jobharness.backends.saltant import SaltantClient
from jobharness.backends.terminal.interactive import terminal_signals
from pytest_plugin._common import ServerTarget

from .conftest import Provisioned

ROBOT_SUITE = """\
*** Settings ***
Library    robotlib.SaltantLibrary

*** Variables ***
${TOKEN: Secret}    %{OUTER_TOKEN}

*** Test Cases ***
Cut By Timeout
    [Timeout]    2 s
    Connect To Saltant    ${SALTANT_URL}    ${TOKEN}
    ${job}=    Start Task Instance    ${TYPE_ID}    ${QUEUE_ID}    seconds=60
    Evaluate    pathlib.Path($UUID_FILE).write_text($job.id)    modules=pathlib
    Wait For Task Instance    ${job}    timeout=1 min
"""

PYTEST_MODULE = """\
import os, pathlib, time

def test_cut_by_sigint(saltant_job):
    job = saltant_job(int(os.environ["TYPE_ID"]), int(os.environ["QUEUE_ID"]), {"seconds": 60})
    pathlib.Path(os.environ["UUID_FILE"]).write_text(job.uuid)
    time.sleep(60)
"""


def _env(provisioned: Provisioned, uuid_file: Path) -> dict[str, str]:
    return {
        **os.environ,
        "TYPE_ID": str(provisioned.task_type.id),
        "QUEUE_ID": str(provisioned.queue.id),
        "UUID_FILE": str(uuid_file),
    }


def _written(path: Path) -> bool:
    return path.exists() and bool(path.read_text())


def _assert_terminated(saltant: SaltantClient, uuid_file: Path) -> None:
    uuid = uuid_file.read_text()
    done = saltant.executable_task_instances.wait_until_finished(uuid, timeout=30)
    assert done.state == "terminated"


def test_a_robot_test_timeout_terminates_the_instance_and_hides_the_secret(
    tmp_path: Path,
    saltant_server: ServerTarget,
    saltant: SaltantClient,
    provisioned: Provisioned,
) -> None:
    token = str(saltant_server.info["token"])
    suite = tmp_path / "cut.robot"
    suite.write_text(ROBOT_SUITE)
    uuid_file = tmp_path / "uuid.txt"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "robot",
            "--outputdir",
            str(tmp_path / "out"),
            "--variable",
            f"SALTANT_URL:{saltant_server.url}",
            "--loglevel",
            "DEBUG",
            "--variable",
            f"TYPE_ID:{provisioned.task_type.id}",
            "--variable",
            f"QUEUE_ID:{provisioned.queue.id}",
            "--variable",
            f"UUID_FILE:{uuid_file}",
            str(suite),
        ],
        env={**_env(provisioned, uuid_file), "OUTER_TOKEN": token},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Test timeout 2 seconds exceeded" in run.stdout
    _assert_terminated(saltant, uuid_file)
    log = (tmp_path / "out" / "output.xml").read_text()
    assert "cancelled leftover saltant job" in log
    assert token not in log + run.stdout + run.stderr


def test_a_pytest_run_cut_by_sigint_terminates_the_instance(
    tmp_path: Path,
    saltant_server: ServerTarget,
    saltant: SaltantClient,
    provisioned: Provisioned,
) -> None:
    (tmp_path / "test_cut.py").write_text(PYTEST_MODULE)
    uuid_file = tmp_path / "uuid.txt"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            f"--saltant-url={saltant_server.url}",
            f"--saltant-token={saltant_server.info['token']}",
            "test_cut.py",
        ],
        cwd=tmp_path,
        env=_env(provisioned, uuid_file),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=terminal_signals,  # Ctrl-C reaches it, also when this run ignores SIGINT
    )
    try:
        end = time.monotonic() + 60
        # the file exists a moment before its text is written: wait for the text
        while not _written(uuid_file) and proc.poll() is None and time.monotonic() < end:
            time.sleep(0.05)
        assert _written(uuid_file), "the inner test never started its job"
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "KeyboardInterrupt" in out
    _assert_terminated(saltant, uuid_file)
