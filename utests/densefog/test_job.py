"""densefog jobs as engine jobs: through the table and the jobs action, retries, stuck jobs."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from jobharness.backends.densefog import DensefogClient, DensefogJob, JobNotFound, map_state
from jobharness.backends.densefog.job import JobSource, TableJobSource, stuck_reason
from jobharness.backends.densefog.protocol import JobRecord
from jobharness.cleanup import clean_up
from jobharness.errors import CleanupRefused, JobFailed
from jobharness.jobs import JobState
from jobharness.waiting import as_completed, wait_for


def run(client: DensefogClient, job: str, **more: object) -> DensefogJob:
    """A job of action ``job`` made by the test app's ``RunJob``."""
    return client.submit("RunJob", {"job": job, **more})


def test_states_map_and_unknown_ones_run() -> None:
    assert map_state("pending") is JobState.PENDING
    assert map_state("finished") is JobState.SUCCEEDED
    assert map_state("error") is JobState.FAILED
    assert map_state("paused") is JobState.RUNNING


@pytest.mark.parametrize("via", ["table", "action"])
def test_a_job_finishes_with_its_result_and_native_fields(
    client: DensefogClient, action_client: DensefogClient, via: str
) -> None:
    user = client if via == "table" else action_client
    job = run(user, "Echo", params={"x": 1, "password": "hunter2"})
    result = job.wait(30)
    assert result.ok and result.native_state == "finished"
    assert result.value == {"x": 1, "password": "hunter2"}
    assert (job.trys, job.try_max, job.error) == (1, 3, "")
    assert job.run_at is not None
    assert result.details["action"] == "Echo"
    if via == "table":
        assert result.details["params"] == {"x": 1, "password": "********"}
        assert isinstance(job.source, TableJobSource)


def test_retries_show_trys_and_run_at_then_the_final_error(client: DensefogClient) -> None:
    job = run(client, "AlwaysFail", tryMax=2, tryPeriod=1)
    seen: set[tuple[str, int | None]] = set()
    for _ in as_completed([job], 30):
        pass
    for change in job.history:
        seen.add((change.native_state, None))
    result = job.result
    assert result.state is JobState.FAILED and job.native_state == "error"
    assert job.trys == 2
    assert result.error == "always_fail boom (is_last_chance=True)"
    with pytest.raises(JobFailed, match="always_fail boom"):
        result.raise_for_state()


def test_the_last_chance_can_succeed(client: DensefogClient) -> None:
    job = run(client, "FailUntilLast", tryMax=2, tryPeriod=1)
    assert job.wait(30).value == {"made_it": True}
    assert job.trys == 2


def test_a_job_left_running_is_reported_stuck_with_why(service: object) -> None:
    from jobharness.backends.densefog.target import densefog_client

    with densefog_client(service, stuck_after=1.0) as client:  # type: ignore[arg-type]
        unknown = run(client, "NoSuchJobAction")
        unserialisable = run(client, "BadResult")
        wait_for([unknown, unserialisable], 30)
    for job in (unknown, unserialisable):
        assert job.state is JobState.ERROR and job.native_state == "running" and job.stuck
        assert "stuck: running for" in (job.result.error or "")
        assert "worker restart" in (job.result.error or "")
        assert "(stuck)" in job.summary()
    assert "not in the worker's action module" in stuck_reason(5)


class CountingSource(JobSource):
    """A source that counts its fetches."""

    def __init__(self, inner: JobSource) -> None:
        self.inner = inner
        self.fetches: list[int] = []

    @property
    def where(self) -> str:
        return self.inner.where

    def fetch(self, job_ids: Sequence[str]) -> dict[str, JobRecord]:
        self.fetches.append(len(job_ids))
        return self.inner.fetch(job_ids)


@pytest.mark.parametrize("via", ["table", "action"])
def test_many_jobs_share_one_query_or_call_per_round(
    client: DensefogClient, action_client: DensefogClient, via: str
) -> None:
    user = client if via == "table" else action_client
    source = CountingSource(user.job_source)
    made = [run(user, "Sleepy", params={"seconds": 0.3 + i / 20}) for i in range(6)]
    jobs = [user.job(job.id, source=source) for job in made]
    finished = list(as_completed(jobs, 30))
    assert len(finished) == 6
    rounds = len(source.fetches)
    assert rounds >= 1 and source.fetches[0] == 6
    assert all(size <= 6 for size in source.fetches)


def test_an_unknown_job_id_is_a_clear_error(client: DensefogClient) -> None:
    with pytest.raises(JobNotFound, match="densefog job job-doesnotexist is not in the job table"):
        client.job("job-doesnotexist").refresh()


def test_a_cancel_is_refused_and_cleanup_waits_for_the_job(client: DensefogClient) -> None:
    job = run(client, "Sleepy", params={"seconds": 0.5})
    with pytest.raises(CleanupRefused, match="no way to cancel"):
        job.cancel()
    report = clean_up([job], timeout=20)
    assert job.done and job.result.ok
    assert [how for _, how in report.done] == ["awaited"]


def test_cleanup_reports_a_job_still_running_at_its_deadline(client: DensefogClient) -> None:
    job = run(client, "Sleepy", params={"seconds": 3})
    report = clean_up([job], timeout=0.5)
    assert report.failed and "no way to cancel" in report.failed[0][1]
    job.wait(30)
