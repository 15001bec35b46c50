"""Task instances as jobs: states, results, cancel, the wait engine and shared refreshes."""

from __future__ import annotations

import pytest

from jobharness.backends.saltant import SaltantClient, SaltantJob
from jobharness.backends.saltant import job as job_module
from jobharness.errors import JobCancelled, JobFailed, WaitTimeout
from jobharness.jobs import JobState, OnTimeout
from jobharness.waiting import as_completed, wait_for
from pytest_plugin._common import ServerTarget
from pytest_plugin.saltant import StartTask

from .conftest import Provisioned
from .helpers import Requests


def _jobs(client: SaltantClient, provisioned: Provisioned, *seconds: float) -> list[SaltantJob]:
    manager = client.executable_task_instances
    return [
        manager.start(provisioned.task_type.id, provisioned.queue.id, {"seconds": s})
        for s in seconds
    ]


def test_a_job_succeeds_with_a_result(saltant_job: StartTask, provisioned: Provisioned) -> None:
    job = saltant_job(provisioned.task_type, provisioned.queue, {"seconds": 0.1}, name="ok")
    assert job.backend == "saltant"
    assert job.state is JobState.PENDING
    assert job.name.startswith("ok@")
    result = job.wait(30)
    assert result.ok
    assert result.native_state == "successful"
    assert result.details["arguments"] == {"seconds": 0.1, "exit_code": 0}
    assert result.details["datetime_finished"] is not None
    assert [c.state for c in job.history][-1] is JobState.SUCCEEDED
    assert result.raise_for_state() is result


def test_a_failed_job(saltant_job: StartTask, provisioned: Provisioned) -> None:
    job = saltant_job(provisioned.task_type, provisioned.queue, {"exit_code": 2})
    result = job.wait(30)
    assert (result.state, result.native_state) == (JobState.FAILED, "failed")
    with pytest.raises(JobFailed, match="failed"):
        result.raise_for_state()


def test_output_comes_from_the_embedded_servers_logs(
    saltant_job: StartTask, provisioned: Provisioned, saltant_server: ServerTarget
) -> None:
    job = saltant_job(provisioned.task_type, provisioned.queue, {"seconds": 0.2, "exit_code": 3})
    job.wait(30)
    assert job.output() == "stdout:\nslept 0.2 s"
    without_logs = SaltantClient(saltant_server.url, saltant_server.info["token"])
    assert without_logs.executable_task_instances.job(job.uuid).output() is None
    without_logs.close()


def test_cancel_terminates(saltant_job: StartTask, provisioned: Provisioned) -> None:
    job = saltant_job(provisioned.task_type, provisioned.queue, {"seconds": 60})
    assert job.cancel() is True
    assert job.terminate_requested
    result = job.wait(30)
    assert (result.state, result.native_state) == (JobState.CANCELLED, "terminated")
    assert result.details["datetime_finished"] is None
    assert job.cancel() is False  # already finished: nothing sent
    with pytest.raises(JobCancelled):
        result.raise_for_state()


@pytest.mark.parametrize("policy", list(OnTimeout))
def test_every_on_timeout_policy(
    saltant_job: StartTask, provisioned: Provisioned, policy: OnTimeout
) -> None:
    slow = saltant_job(provisioned.task_type, provisioned.queue, {"seconds": 60})
    quick = saltant_job(provisioned.task_type, provisioned.queue, {"seconds": 0})
    if policy is OnTimeout.CONTINUE:
        finished = wait_for([slow, quick], 2, on_timeout=policy)
        assert finished == [quick]
        assert not slow.done
        return
    with pytest.raises(WaitTimeout) as caught:
        wait_for([slow, quick], 2, on_timeout=policy)
    assert caught.value.jobs == [slow]
    assert slow.uuid in str(caught.value)
    assert "running" in str(caught.value) or "pending" in str(caught.value)
    assert quick.uuid not in str(caught.value)
    assert slow.terminate_requested is (policy is OnTimeout.CANCEL)
    if policy is OnTimeout.CANCEL:
        assert slow.wait(30).native_state == "terminated"


def test_an_unknown_state_is_kept_and_counts_as_running(
    saltant: SaltantClient, saltant_job: StartTask, provisioned: Provisioned
) -> None:
    job = saltant_job(provisioned.task_type, provisioned.queue, {"seconds": 60})
    saltant.request("PATCH", f"updatetaskinstancestatus/{job.uuid}/", json={"state": "xyz"})
    assert job.refresh() is JobState.RUNNING
    assert job.native_state == "xyz"
    assert "running (xyz)" in job.summary()
    with pytest.raises(WaitTimeout, match=r"running \(xyz\)"):
        job.wait(0.3)


def test_as_completed_yields_in_finishing_order(
    saltant: SaltantClient, provisioned: Provisioned
) -> None:
    jobs = _jobs(saltant, provisioned, 1.5, 0, 0.7)
    order = [job.instance.arguments["seconds"] for job in as_completed(jobs, 30)]
    assert order == [0, 0.7, 1.5]


def test_refresh_many_sends_one_list_request(
    counted: tuple[SaltantClient, Requests], provisioned: Provisioned
) -> None:
    client, recorder = counted
    jobs = _jobs(client, provisioned, *([0.3] * 8), 60)
    try:
        recorder.clear()
        SaltantJob.refresh_many(jobs)
        assert recorder.count("GET") == 1
        assert recorder.count("GET", "datetime_created__gte=") == 1
        # the long job stays in every poll round, so no round is left with a single job
        # (which is fetched on its own: one request either way)
        finished = []
        for job in as_completed(jobs, 30):
            finished.append(job)
            if len(finished) == len(jobs) - 1:
                break
        assert set(finished) == set(jobs[:-1])
        assert all(job.native_state == "successful" for job in jobs[:-1])
        # every poll round is one request for all the jobs, never one per job
        assert recorder.count("GET") == recorder.count("GET", "datetime_created__gte=")
    finally:
        jobs[-1].cancel()


def test_refresh_many_falls_back_to_one_get_per_missing_job(
    counted: tuple[SaltantClient, Requests],
    provisioned: Provisioned,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, recorder = counted
    monkeypatch.setattr(job_module, "SHARED_LIST_MIN_PAGE_SIZE", 1)
    monkeypatch.setattr(job_module, "SHARED_LIST_MAX_PAGES", 1)
    jobs = _jobs(client, provisioned, 60, 60, 60)
    newer = _jobs(client, provisioned, 0, 0, 0, 0, 0, 0, 0)  # listed first: newest first
    try:
        recorder.clear()
        SaltantJob.refresh_many(jobs)
        assert recorder.count("GET", "datetime_created__gte=") == 1
        assert recorder.count("GET") == 1 + 3  # the page held only newer instances
        assert all(job.state in (JobState.PENDING, JobState.RUNNING) for job in jobs)
    finally:
        for job in jobs + newer:
            job.cancel()


def test_a_single_job_is_refreshed_by_get(
    counted: tuple[SaltantClient, Requests], provisioned: Provisioned
) -> None:
    client, recorder = counted
    [job] = _jobs(client, provisioned, 0)
    recorder.clear()
    SaltantJob.refresh_many([job])
    assert recorder.count("GET", job.uuid) == 1
    assert recorder.count("GET") == 1
