"""Robot's [Timeout] and pytest-timeout cut a wait on a frozen server in time, and the
cleanup that follows has a deadline of its own."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from robot.api import ExecutionResult

from jobharness.backends.saltant import SaltantClient
from pytest_plugin._common import ServerTarget
from utests.timing import assert_ended_by

from .conftest import address_of
from .misbehaving import MisbehavingServer

CLEANUP = 2.0

ROBOT_SUITE = """\
*** Settings ***
Library    robotlib.SaltantLibrary    cleanup_timeout=${CLEANUP}

*** Test Cases ***
Cut By Timeout
    [Timeout]    ${TEST_TIMEOUT}
    ${job}=    Start Task Instance    ${TYPE_ID}    ${QUEUE_ID}
    Evaluate    pathlib.Path($UUID_FILE).write_text($job.id)    modules=pathlib
    Wait For Task Instance    ${job}    timeout=1 min
"""

PYTEST_MODULE = """\
import os, pathlib

def test_cut_by_pytest_timeout(saltant_job):
    job = saltant_job(int(os.environ["TYPE_ID"]), int(os.environ["QUEUE_ID"]))
    pathlib.Path(os.environ["UUID_FILE"]).write_text(job.uuid)
    job.wait(60)
"""


@pytest.fixture
def frozen_after_start(
    saltant_server: ServerTarget,
    saltant: SaltantClient,
    misbehaving: Callable[..., MisbehavingServer],
    tmp_path: Path,
) -> Iterator[tuple[MisbehavingServer, Path]]:
    """A proxy that freezes once the run under test wrote its job's uuid (terminated after)."""
    proxy = misbehaving(address_of(saltant_server.url), "http")
    uuid_file = tmp_path / "uuid.txt"
    done = threading.Event()

    def freeze() -> None:
        while not done.is_set() and not uuid_file.exists():
            time.sleep(0.01)
        proxy.switch("silent")

    watcher = threading.Thread(target=freeze, daemon=True)
    watcher.start()
    yield proxy, uuid_file
    done.set()
    if uuid_file.exists():
        saltant.executable_task_instances.terminate(uuid_file.read_text())


def test_robot_timeout_cuts_the_wait_and_cleanup_is_bounded(
    frozen_after_start: tuple[MisbehavingServer, Path],
    saltant_server: ServerTarget,
    queue_ids: tuple[int, int],
    tmp_path: Path,
) -> None:
    proxy, uuid_file = frozen_after_start
    suite = tmp_path / "cut.robot"
    suite.write_text(ROBOT_SUITE)
    test_timeout = 3.0
    variables = {
        "SALTANT_URL": proxy.url,
        "TYPE_ID": queue_ids[0],
        "QUEUE_ID": queue_ids[1],
        "UUID_FILE": uuid_file,
        "TEST_TIMEOUT": f"{test_timeout} s",
        "CLEANUP": f"{CLEANUP} s",
    }
    command = [sys.executable, "-m", "robot", "--outputdir", str(tmp_path / "out")]
    for name, value in variables.items():
        command += ["--variable", f"{name}:{value}"]
    env = {**os.environ, "JOBHARNESS_SALTANT_TOKEN": str(saltant_server.info["token"])}
    run = subprocess.run(
        [*command, str(suite)], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 1, run.stdout + run.stderr
    result = ExecutionResult(str(tmp_path / "out" / "output.xml"))
    test = result.suite.tests[0]
    assert "Test timeout 3 seconds exceeded" in test.message
    assert_ended_by(test.elapsed_time.total_seconds(), test_timeout, "the test")
    after_test = result.suite.elapsed_time - test.elapsed_time
    assert_ended_by(after_test.total_seconds(), CLEANUP, "the cleanup")
    log = (tmp_path / "out" / "output.xml").read_text()
    assert "could not cancel saltant job" in log
    assert "did not answer within the cleanup's 2 s" in log


def test_pytest_timeout_cuts_the_wait_and_teardown_is_bounded(
    frozen_after_start: tuple[MisbehavingServer, Path],
    saltant_server: ServerTarget,
    queue_ids: tuple[int, int],
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proxy, uuid_file = frozen_after_start
    pytester.makepyfile(test_cut=PYTEST_MODULE)
    env = {
        "TYPE_ID": str(queue_ids[0]),
        "QUEUE_ID": str(queue_ids[1]),
        "UUID_FILE": str(uuid_file),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "--timeout=2",
        f"--jobharness-cleanup-timeout={CLEANUP}",
        f"--saltant-url={proxy.url}",
        f"--saltant-token={saltant_server.info['token']}",
        "--durations=0",
        "-vv",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Timeout (>2.0s)*", "*could not cancel saltant job*"])
    durations = {
        phase: float(seconds)
        for seconds, phase in re.findall(r"^([\d.]+)s (call|teardown) ", result.stdout.str(), re.M)
    }
    assert_ended_by(durations["call"], 2, "the call")
    assert_ended_by(durations["teardown"], CLEANUP, "the teardown")
