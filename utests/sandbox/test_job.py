"""SandboxJob: an execution on a worker thread, waited for through the shared engine."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from jobharness.backends.sandbox import ExecutionResult, Sandbox, SandboxJob
from jobharness.errors import JobFailed, ValidationError, WaitTimeout
from jobharness.jobs import JobState, OnTimeout
from jobharness.waiting import wait_for


def test_job_runs_in_the_background_and_gives_its_result(sandbox: Sandbox) -> None:
    job = sandbox.start({"commands": ["sleep 1", "echo done"]}, name="bg")
    assert isinstance(job, SandboxJob)
    assert job.state is JobState.RUNNING and not job.done
    result = job.wait(10)
    assert result.ok and result.native_state == "OK"
    assert isinstance(result.value, ExecutionResult)
    assert result.value.execution[-1].stdout == "done"
    assert job.output() == "\ndone"
    assert result.details["status"] == 0
    assert [change.state for change in job.history] == [JobState.RUNNING, JobState.SUCCEEDED]


def test_failed_execution_maps_to_failed(sandbox: Sandbox) -> None:
    result = sandbox.start({"commands": ["echo x >&2; exit 2"]}).wait(10)
    assert result.state is JobState.FAILED and result.native_state == "EXIT_2"
    assert "stopped at" in (result.error or "")
    with pytest.raises(JobFailed):
        result.raise_for_state()


def test_wait_uses_the_engine_deadline_and_cancel_is_refused(sandbox: Sandbox) -> None:
    job = sandbox.start({"commands": ["sleep 2"]})
    with pytest.raises(WaitTimeout, match="still unfinished"):
        job.wait(0.2)
    assert job.cancel() is False
    assert wait_for([job], 0.1, on_timeout=OnTimeout.CONTINUE) == []
    assert wait_for([job], 10) == [job]
    assert job.state is JobState.SUCCEEDED


def test_request_failure_makes_an_error_job() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with Sandbox(f"http://127.0.0.1:{port}", retries=0) as client:
        result = client.start({"commands": ["true"]}).wait(10)
    assert result.state is JobState.ERROR and result.native_state == "REQUEST_FAILED"
    assert f"127.0.0.1:{port}" in (result.error or "")
    assert result.value is None


def test_bad_config_raises_before_the_job_exists(sandbox: Sandbox) -> None:
    with pytest.raises(ValidationError, match="commands"):
        sandbox.start({"commands": []})


def test_plugin_fixture_tracks_the_job(sandbox_job: Any, jobharness_jobs: Any) -> None:
    job = sandbox_job({"commands": ["echo tracked"]})
    assert jobharness_jobs.jobs == [job]
    assert "test_plugin_fixture_tracks_the_job" in job.name
    assert job.wait().value.execution[0].stdout == "tracked"
