"""Fixtures of the report tests: a saltant sleeper task on the session's embedded server.

Inner pytester runs reach the same server through ``inner_args`` and find the
task type and queue ids in the environment.
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest

from jobharness.backends.saltant import SaltantClient
from jobharness.targets import Target

SLEEPER = Path(__file__).parents[1] / "saltant" / "sleeper.py"


@pytest.fixture(scope="session")
def sleeper_ids(saltant: SaltantClient) -> tuple[int, int]:
    """The ids of a task type running ``sleeper.py`` and of a queue that accepts it."""
    run = uuid.uuid4().hex[:8]
    task_type = saltant.executable_task_types.create(
        f"report-sleeper-{run}",
        f"{sys.executable} {SLEEPER}",
        required_arguments=["seconds", "exit_code"],
        required_arguments_default_values={"seconds": 0, "exit_code": 0},
    )
    whitelist = saltant.task_whitelists.create(
        f"report-{run}", whitelisted_executable_task_types=[task_type.id]
    )
    queue = saltant.task_queues.create(f"report-{run}", whitelists=[whitelist.id])
    return task_type.id, queue.id


@pytest.fixture
def inner_args(
    saltant_server: Target, sleeper_ids: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> list[str]:
    """Arguments that point an inner run at this session's saltant (ids in the environment)."""
    for name in ("JOBHARNESS_SALTANT_URL", "SALTANT_API_URL", "JOBHARNESS_REPORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TYPE_ID", str(sleeper_ids[0]))
    monkeypatch.setenv("QUEUE_ID", str(sleeper_ids[1]))
    return [
        "-p",
        "no:cacheprovider",
        f"--saltant-url={saltant_server.url}",
        f"--saltant-token={saltant_server.info['token']}",
        f"--saltant-logs-dir={saltant_server.info['logs_dir']}",
    ]


THREE_JOBS = """
import os
import time

def start(saltant_job, name, seconds, exit_code=0):
    return saltant_job(int(os.environ["TYPE_ID"]), int(os.environ["QUEUE_ID"]),
                       {"seconds": seconds, "exit_code": exit_code}, name=name)

def test_three_jobs(saltant_job):
    ok = start(saltant_job, "ok", 0.3)
    bad = start(saltant_job, "bad", 0.2, exit_code=3)
    left = start(saltant_job, "left", 60)
    assert ok.wait().ok
    assert bad.wait().state.value == "failed"
    deadline = time.monotonic() + 20
    while left.refresh().value != "running" and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # seen running for a while before the teardown cancels it

def test_fails_with_a_failed_job(saltant_job):
    job = start(saltant_job, "broken", 0, exit_code=4)
    assert job.wait().ok, "on purpose"

def test_without_jobs():
    pass
"""
"""An inner test module: a succeeded, a failed and a (by the teardown) cancelled job."""
