"""saltant from pytest: ``saltant`` is a client of the session's server (embedded unless
``--saltant-url`` is given, with ``--saltant-token`` or ``--saltant-username`` and
``--saltant-password``); ``saltant_job`` starts task instances tracked by the test."""

import sys
import uuid
from pathlib import Path

import pytest

RUN = uuid.uuid4().hex[:8]  # names carry the run's id: runs may share a server that keeps state
SLEEPER = Path(__file__).parent / "sleeper.py"


@pytest.fixture(scope="module")
def sleeper(saltant):
    task_type = saltant.executable_task_types.create(
        f"sleeper-{RUN}", f"{sys.executable} {SLEEPER}", required_arguments=["seconds"]
    )
    whitelist = saltant.task_whitelists.create(
        f"sleepers-{RUN}", whitelisted_executable_task_types=[task_type.id]
    )
    return task_type, saltant.task_queues.create(f"jobs-{RUN}", whitelists=[whitelist.id])


@pytest.mark.jobharness(timeout=30)
def test_sleeper(saltant_job, sleeper):
    job = saltant_job(*sleeper, {"seconds": 1})
    assert job.wait().native_state == "successful"
    assert "slept 1 s" in job.output()
