"""A job that stays ``published`` for its whole run (the real server's race) is waited for,
cancelled and reported like any other: nothing counts on seeing ``running``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobharness.backends.saltant import SaltantClient, SaltantJob
from jobharness.backends.saltant.target import SALTANT_TARGET, saltant_client
from jobharness.errors import WaitTimeout
from jobharness.jobs import JobState
from jobharness.settings import resolve
from jobharness.targets import Target, open_target
from jobharness.waiting import as_completed

from .conftest import Provisioned
from .helpers import SLEEPER, unique


@pytest.fixture(scope="module")
def racy() -> Iterator[Target]:
    """An embedded server where every job stays published while it runs."""
    unset = {setting.name: resolve(setting, environ={}) for setting in SALTANT_TARGET.settings}
    with open_target(
        SALTANT_TARGET, unset, options={"faults": ["published-while-running"]}
    ) as target:
        yield target


@pytest.fixture(scope="module")
def client(racy: Target) -> Iterator[SaltantClient]:
    with saltant_client(racy, wait_timeout=30) as found:
        yield found


@pytest.fixture(scope="module")
def sleeper(client: SaltantClient) -> Provisioned:
    import sys

    task_type = client.executable_task_types.create(
        unique("sleeper"),
        f"{sys.executable} {SLEEPER}",
        required_arguments=["seconds", "exit_code"],
        required_arguments_default_values={"seconds": 0, "exit_code": 0},
    )
    whitelist = client.task_whitelists.create(
        unique("wl"), whitelisted_executable_task_types=[task_type.id]
    )
    return Provisioned(task_type, client.task_queues.create(unique("q"), whitelists=[whitelist.id]))


def _start(client: SaltantClient, sleeper: Provisioned, seconds: float) -> SaltantJob:
    return client.executable_task_instances.start(
        sleeper.task_type.id, sleeper.queue.id, {"seconds": seconds}
    )


def _until_on_a_worker(racy: Target, job: SaltantJob) -> None:
    """The worker made the job's log directory: it runs, whatever the state says."""
    folder = Path(racy.info["logs_dir"]) / job.uuid
    deadline = time.monotonic() + 30
    while not folder.exists():
        assert time.monotonic() < deadline, "no worker took the job"
        time.sleep(0.02)


def test_a_wait_ends_without_ever_seeing_running(
    client: SaltantClient, sleeper: Provisioned, racy: Target
) -> None:
    job = _start(client, sleeper, 0.5)
    _until_on_a_worker(racy, job)
    assert job.refresh() is JobState.PENDING and job.native_state == "published"
    assert job.wait(30).native_state == "successful"
    assert "running" not in [change.native_state for change in job.history]


def test_many_jobs_end_through_as_completed(client: SaltantClient, sleeper: Provisioned) -> None:
    jobs = [_start(client, sleeper, seconds) for seconds in (0.3, 0, 0.6)]
    finished = list(as_completed(jobs, 30))
    assert {job.native_state for job in finished} == {"successful"}


def test_a_timed_out_wait_reports_published(
    client: SaltantClient, sleeper: Provisioned, racy: Target
) -> None:
    job = _start(client, sleeper, 30)
    try:
        _until_on_a_worker(racy, job)
        with pytest.raises(WaitTimeout, match=rf"{job.uuid}.*pending \(published\)"):
            job.wait(0.3)
    finally:
        job.cancel()


def _processes_of(job: SaltantJob) -> list[int]:
    """The PIDs of the processes running ``job`` (their environment holds its JOB_UUID)."""
    marker = f"JOB_UUID={job.uuid}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def test_a_job_running_while_published_is_terminated(
    client: SaltantClient, sleeper: Provisioned, racy: Target
) -> None:
    job = _start(client, sleeper, 30)
    _until_on_a_worker(racy, job)
    deadline = time.monotonic() + 30
    while not _processes_of(job):
        assert time.monotonic() < deadline, "the job's process did not start"
        time.sleep(0.02)
    assert job.cancel()
    assert job.wait(30).native_state == "terminated"
    assert _processes_of(job) == []  # killed, not left to run on behind a terminated state


def test_robot_waits_and_cleans_up(
    client: SaltantClient, sleeper: Provisioned, racy: Target
) -> None:
    from robotlib import SaltantLibrary

    library = SaltantLibrary(timeout=30)
    try:
        library.connect_to_saltant(racy.url, racy.info["token"])
        library.start_test(None, None)
        quick = library.start_task_instance(
            sleeper.task_type.id, sleeper.queue.id, arguments={"seconds": 0}
        )
        left = library.start_task_instance(
            sleeper.task_type.id, sleeper.queue.id, arguments={"seconds": 30}
        )
        library.wait_for_task_instance(quick)
        library.task_instance_state_should_be(quick, "successful")
        _until_on_a_worker(racy, left)
        library.end_test(None, None)  # the leftover, published but running, is terminated
        assert left.wait(30).native_state == "terminated"
    finally:
        library.close()


def test_a_failing_test_report_shows_the_published_state(
    pytester: pytest.Pytester, racy: Target, sleeper: Provisioned
) -> None:
    pytester.makepyfile(
        f"""
        def test_fails(saltant_job):
            job = saltant_job({sleeper.task_type.id}, {sleeper.queue.id}, {{"seconds": 30}})
            import pathlib, time
            folder = pathlib.Path({racy.info["logs_dir"]!r}) / job.uuid
            while not folder.exists():
                time.sleep(0.02)
            assert job.refresh().value == "running", "on purpose"
        """
    )
    result = pytester.runpytest(
        "-p",
        "no:cacheprovider",
        f"--saltant-url={racy.url}",
        f"--saltant-token={racy.info['token']}",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*- jobharness jobs -*", "saltant job *: pending (published)", "cancelled leftover *"]
    )
