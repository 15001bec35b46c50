"""Cleanup scopes: unfinished jobs are cancelled when their scope ends."""

from __future__ import annotations

import pytest

from jobharness.cleanup import CleanupPolicy, JobTracker, cancel_unfinished
from jobharness.errors import ConfigurationError, ServerUnreachable
from jobharness.jobs import JobState

R, S = JobState.RUNNING, JobState.SUCCEEDED


def test_test_scope_cancels_only_its_unfinished_jobs(scripted):
    tracker = JobTracker()
    tracker.push_scope()  # suite
    suite_job = tracker.track(scripted("suite", [R]))
    tracker.push_scope()  # test
    running = tracker.track(scripted("running", [R]))
    finished = tracker.track(scripted("finished", [S]))
    report = tracker.pop_scope(cancel=True)
    assert report.cancelled == [running]
    assert running.cancelled and not finished.cancelled and not suite_job.cancelled
    assert tracker.jobs() == [suite_job]


def test_uncancelled_scope_hands_jobs_to_the_enclosing_scope(scripted):
    tracker = JobTracker()
    tracker.push_scope()
    tracker.push_scope()
    job = tracker.track(scripted("j", [R]))
    assert tracker.pop_scope(cancel=False).cancelled == []
    assert tracker.pop_scope(cancel=True).cancelled == [job]


def test_unbalanced_pop_cleans_the_root_scope(scripted):
    tracker = JobTracker()
    job = tracker.track(scripted("j", [R]))
    assert tracker.pop_scope().cancelled == [job]
    assert tracker.jobs() == []


def test_cancel_failures_are_reported_not_raised(scripted):
    job = scripted("j", [R])

    def refuse() -> bool:
        raise ServerUnreachable("cannot reach http://127.0.0.1:1/")

    job._cancel = refuse
    report = cancel_unfinished([job])
    assert report.cancelled == []
    assert report.lines() == [f"could not cancel {job.summary()}: cannot reach http://127.0.0.1:1/"]


def test_cancel_all_covers_every_scope(scripted):
    tracker = JobTracker()
    tracker.push_scope()
    a = tracker.track(scripted("a", [R]))
    tracker.push_scope()
    b = tracker.track(scripted("b", [R]))
    assert tracker.cancel_all().cancelled == [a, b]


def test_policy_parse():
    assert CleanupPolicy.parse("Suite") is CleanupPolicy.SUITE
    with pytest.raises(ConfigurationError, match="test, suite, never"):
        CleanupPolicy.parse("sometimes")


def test_refused_cancel_of_a_running_job_is_reported(scripted):
    job = scripted("j", [R])
    job._cancel = lambda: False
    report = cancel_unfinished([job])
    assert report.cancelled == []
    assert report.failed == [(job, "the server did not accept the cancel")]


def test_refused_cancel_of_a_job_that_just_finished_is_not_a_failure(scripted):
    job = scripted("j", [R, S])
    job._cancel = lambda: False
    report = cancel_unfinished([job])
    assert report.cancelled == [] and report.failed == []
