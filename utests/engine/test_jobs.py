"""The job model and the wait engine."""

from __future__ import annotations

import time

import pytest

from jobharness.errors import (
    ConfigurationError,
    JobCancelled,
    JobFailed,
    ServerUnreachable,
    WaitTimeout,
)
from jobharness.jobs import (
    Deadline,
    JobResult,
    JobState,
    OnTimeout,
    PollPolicy,
    as_completed,
    wait_for,
)
from utests.timing import assert_ended_by

R, S, F = JobState.RUNNING, JobState.SUCCEEDED, JobState.FAILED
FAST = PollPolicy(initial=0.001, factor=1.0, maximum=0.001, slice=0.001)


def test_wait_returns_when_final_and_records_history(scripted):
    job = scripted("j1", [R, R, S], poll=FAST)
    result = job.wait(timeout=5)
    assert result.state is S and result.native_state == "native-succeeded"
    assert [c.state for c in job.history] == [JobState.PENDING, R, S]
    assert job.fetches == 3


def test_wait_timeout_names_job_and_last_state(scripted):
    job = scripted("j-slow", [R], name="build", poll=FAST)
    with pytest.raises(WaitTimeout) as info:
        job.wait(timeout=0.05)
    text = str(info.value)
    assert "j-slow" in text and "'build'" in text and "running" in text and "native-running" in text
    assert info.value.jobs == [job]
    assert not job.cancelled


def test_on_timeout_cancel_cancels_then_raises(scripted):
    job = scripted("j", [R], poll=FAST)
    with pytest.raises(WaitTimeout, match="cancel requested"):
        job.wait(timeout=0.02, on_timeout="terminate")
    assert job.cancelled


def test_on_timeout_continue_returns_current_state(scripted):
    job = scripted("j", [R], poll=FAST)
    result = job.wait(timeout=0.02, on_timeout=OnTimeout.CONTINUE)
    assert result.state is R


def test_wait_any_returns_first_finished(scripted):
    slow = scripted("slow", [R], poll=FAST)
    quick = scripted("quick", [R, F], poll=FAST)
    assert wait_for([slow, quick], 5, mode="any") == [quick]


def test_refresh_many_is_used_once_per_round_for_a_class(batched):
    jobs = [batched(f"b{i}", [R] * (i + 1) + [S], poll=FAST) for i in range(5)]
    wait_for(jobs, 5)
    assert all(job.state is S for job in jobs)
    assert batched.rounds == 6  # one shared round per poll, not one per job


def test_as_completed_yields_in_finishing_order(scripted):
    jobs = [scripted(f"j{n}", [R] * n + [S], poll=FAST) for n in (3, 1, 2)]
    assert [job.id for job in as_completed(jobs, 5)] == ["j1", "j2", "j3"]


def test_as_completed_timeout_reports_remaining(scripted):
    done = scripted("done", [S], poll=FAST)
    stuck = scripted("stuck", [R], poll=FAST)
    seen = []
    with pytest.raises(WaitTimeout, match="stuck"):
        for job in as_completed([done, stuck], 0.05):
            seen.append(job.id)
    assert seen == ["done"]


def test_transient_transport_errors_are_retried_then_raised(scripted):
    job = scripted("j", [R, S], poll=FAST)
    failures = iter([ServerUnreachable("down"), None])
    original = job._fetch_state

    def flaky():
        error = next(failures, None)
        if error:
            raise error
        return original()

    job._fetch_state = flaky
    assert job.wait(timeout=5).state is S
    assert job.fetches == 2  # the failed round did not reach the server

    broken = scripted("b", [R], poll=FAST)

    def down():
        raise ServerUnreachable("cannot reach http://127.0.0.1:9/")

    broken._fetch_state = down
    with pytest.raises(ServerUnreachable, match=r"127\.0\.0\.1:9/"):
        broken.wait(timeout=5)


def test_wait_sleeps_in_slices_and_respects_deadline(scripted):
    job = scripted("j", [R], poll=PollPolicy(initial=10, maximum=10, slice=0.01))
    started = time.monotonic()
    with pytest.raises(WaitTimeout):
        job.wait(timeout=0.2)
    # a 10 s poll interval did not outlive the deadline
    assert_ended_by(time.monotonic() - started, 0.2)


def test_poll_policy_backs_off_to_its_cap():
    policy = PollPolicy(initial=0.1, factor=2, maximum=0.5)
    intervals = policy.intervals()
    assert [round(next(intervals), 3) for _ in range(5)] == [0.1, 0.2, 0.4, 0.5, 0.5]


@pytest.mark.parametrize("kwargs", [{"initial": 0}, {"factor": 0.5}, {"maximum": -1}])
def test_poll_policy_rejects_bad_values(kwargs):
    with pytest.raises(ConfigurationError):
        PollPolicy(**kwargs)


def test_deadline_rejects_negative_timeout():
    with pytest.raises(ConfigurationError, match="timeout"):
        Deadline(-1)


def test_on_timeout_parse_rejects_unknown():
    with pytest.raises(ConfigurationError, match="fail, cancel, continue"):
        OnTimeout.parse("explode")


def test_cancel_is_skipped_for_finished_jobs(scripted):
    job = scripted("j", [S], poll=FAST)
    job.refresh()
    assert job.cancel() is False and not job.cancelled


def test_result_raise_for_state():
    ok = JobResult("1", "x", S, "done")
    assert ok.raise_for_state() is ok
    with pytest.raises(JobFailed, match="boom"):
        JobResult("2", "x", F, "failed", error="boom").raise_for_state()
    with pytest.raises(JobCancelled):
        JobResult("3", "x", JobState.CANCELLED, "terminated").raise_for_state()


def test_summary_shows_native_state_when_it_differs(scripted):
    job = scripted("abc", [R], name="n", poll=FAST)
    job.refresh()
    assert job.summary() == "scripted job abc 'n': running (native-running)"


def _blocking(scripted, finish_after: float | None):
    """A job that waits on the server (no polling); it finishes if the deadline allows."""

    class Blocking(scripted):
        blocks_on_server = True

        def _block_until_done(self, deadline):
            self.blocked = deadline.remaining()
            if finish_after is not None and finish_after <= deadline.remaining():
                self._set_state(S, "native-succeeded")

    return Blocking("blk", [R], poll=FAST)


def test_blocking_wait_is_used_for_one_job_and_skips_polling(scripted):
    job = _blocking(scripted, finish_after=0.0)
    assert job.wait(timeout=5).state is S
    assert job.fetches == 0 and 4 < job.blocked <= 5


def test_blocking_wait_past_its_deadline_follows_the_timeout_policy(scripted):
    job = _blocking(scripted, finish_after=None)
    with pytest.raises(WaitTimeout, match="cancel requested"):
        job.wait(timeout=0.1, on_timeout="cancel")
    assert job.cancelled


def test_blocking_wait_continue_returns_the_job_unfinished(scripted):
    job = _blocking(scripted, finish_after=None)
    assert job.wait(timeout=0.1, on_timeout="continue").state is JobState.PENDING
    assert not job.cancelled


def test_the_wait_engine_is_still_importable_from_jobs() -> None:
    from jobharness import jobs, waiting

    for name in ("wait_for", "as_completed", "CANCEL_TIMEOUT", "MAX_CONSECUTIVE_ERRORS"):
        assert getattr(jobs, name) is getattr(waiting, name)
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        _ = jobs.nothing_here  # type: ignore[attr-defined]
