"""The pytest side of issue 13: the status line, the report's latest states, hidden frames."""

from __future__ import annotations

import pytest

import jobharness.progress

pytest_plugins = ["pytester"]

LONG_JOB = """
import time
from jobharness.jobs import Job, JobResult, JobState, PollPolicy
from jobharness import progress

class LongJob(Job):
    '''Runs until a few polls have happened after the status line's delay has passed.'''
    backend = "long"
    def __init__(self, job_id="long-1", state=JobState.RUNNING):
        super().__init__(job_id, name="slow build", poll=PollPolicy.fixed(0.02))
        self.started = time.monotonic()
        self.late_polls = 0
        self.fixed = state
    def _fetch_state(self):
        if time.monotonic() - self.started > progress.SHOW_AFTER:
            self.late_polls += 1
        if self.late_polls >= 5:
            return JobState.SUCCEEDED, "done"
        return self.fixed, self.fixed.value
    def _cancel(self):
        self.fixed = JobState.CANCELLED
        return True
    def _build_result(self):
        return JobResult(self.id, self.backend, self.state, self.native_state)
"""

WAITS = """
from helpers import LongJob
from jobharness.waiting import wait_for

def test_waits():
    wait_for([LongJob(), LongJob("long-2")], 30)
"""

LINE = "*jobharness: 2 running - * s of 30 s - waiting for 2 long jobs*"


@pytest.fixture(autouse=True)
def quick_status_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """The inner runs share this process: a shorter delay keeps them short."""
    monkeypatch.setattr(jobharness.progress, "SHOW_AFTER", 0.2)
    monkeypatch.delenv("JOBHARNESS_PROGRESS", raising=False)


def test_a_long_wait_shows_a_status_line_with_capture_on(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(helpers=LONG_JOB, test_waits=WAITS)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([LINE])


@pytest.mark.parametrize(
    ("args", "ini", "env"),
    [
        (["-q"], "", None),
        (["--jobharness-progress=off"], "", None),
        ([], "jobharness_progress = off", None),
        ([], "", "off"),
    ],
    ids=["quiet", "option-off", "ini-off", "env-off"],
)
def test_the_line_is_absent_when_quiet_or_off(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    ini: str,
    env: str | None,
) -> None:
    pytester.makepyfile(helpers=LONG_JOB, test_waits=WAITS)
    if ini:
        pytester.makeini(f"[pytest]\n{ini}\n")
    if env:
        monkeypatch.setenv("JOBHARNESS_PROGRESS", env)
    result = pytester.runpytest("-p", "no:cacheprovider", *args)
    result.assert_outcomes(passed=1)
    assert "jobharness: " not in result.stdout.str()


def test_on_shows_the_line_under_q_too(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(helpers=LONG_JOB, test_waits=WAITS)
    result = pytester.runpytest("-p", "no:cacheprovider", "-q", "--jobharness-progress=on")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([LINE])


def test_an_xdist_worker_is_quiet_unless_asked(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(helpers=LONG_JOB, test_waits=WAITS)
    args = ("-p", "no:cacheprovider", "-p", "xdist", "-n", "1")
    result = pytester.runpytest_subprocess(*args)
    result.assert_outcomes(passed=1)
    assert "waiting for" not in result.stdout.str() + result.stderr.str()
    asked = pytester.runpytest_subprocess(*args, "--jobharness-progress=on")
    asked.assert_outcomes(passed=1)
    asked.stderr.fnmatch_lines(["jobharness [[]gw0[]]: 2 running - * waiting for 2 long jobs"])


def test_the_report_lists_each_jobs_latest_state(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        helpers=LONG_JOB,
        test_stale="""
        from helpers import LongJob
        from jobharness.jobs import JobState

        def test_fails(jobharness_jobs):
            job = jobharness_jobs.track(LongJob("stale-1", JobState.PENDING))
            job.fixed = JobState.RUNNING   # the server moved on since the last refresh
            assert False
        """,
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    report = result.stdout.str().split("jobharness jobs", 1)[1]
    assert "long job stale-1 'slow build': running" in report
    assert "pending" not in report.split("jobharness cleanup", 1)[0]
    result.stdout.fnmatch_lines(["*cancelled leftover long job stale-1 'slow build': running*"])


FAILING = """
from jobharness.jobs import Job, JobResult, JobState, PollPolicy

class Broken(Job):
    backend = "broken"
    def __init__(self, state):
        super().__init__("b-7", name="nightly", poll=PollPolicy.fixed(0.01))
        self.fixed = state
    def _fetch_state(self):
        return self.fixed, "NATIVE_" + self.fixed.value
    def _cancel(self):
        return False
    def _build_result(self):
        return JobResult(self.id, self.backend, self.state, self.native_state)
    def output(self):
        return "step 1 ok\\nstep 2 exploded"
    def exit_code(self):
        return 9 if self.done else None

def test_wait_times_out():
    Broken(JobState.RUNNING).wait(0.05)   # the test's own line

def test_job_failed():
    Broken(JobState.FAILED).wait(5).raise_for_state()   # the test's own line
"""


def test_failures_point_at_the_tests_line_not_the_library(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_failing=FAILING)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=2)
    out = result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            ">*Broken(JobState.RUNNING).wait(0.05)   # the test's own line",
            "E*WaitTimeout: waited 0.05 s for 1 job(s); still unfinished: "
            "broken job b-7 'nightly': running (NATIVE_running)",
            "E*    step 2 exploded",
            ">*Broken(JobState.FAILED).wait(5).raise_for_state()   # the test's own line",
            "E*JobFailed: broken job b-7 'nightly' ended failed (native 'NATIVE_failed'), "
            "exit code 9",
            "E*    step 2 exploded",
        ]
    )
    for library_line in ("jobs.py:", "def _timed_out", "def raise_for_state", "def wait_for"):
        assert library_line not in out
