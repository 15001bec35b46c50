"""The shared pytest plugin pieces, exercised through pytester runs."""

from __future__ import annotations

import pytest

JOB_MODULE = """
import pytest
from jobharness.jobs import Job, JobResult, JobState

CANCELLED = []

class FakeJob(Job):
    backend = "fake"
    def __init__(self, job_id, state):
        super().__init__(job_id, state=state)
        self.fixed = state
    def _fetch_state(self):
        return self.fixed, self.fixed.value
    def _cancel(self):
        CANCELLED.append(self.id)
        self.fixed = JobState.CANCELLED
        return True
    def _build_result(self):
        return JobResult(self.id, self.backend, self.state, self.native_state)
    def output(self):
        return "line one\\nline two"
"""


def test_leftover_jobs_are_cancelled_at_teardown(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        helpers=JOB_MODULE,
        test_leftovers="""
        from helpers import FakeJob, CANCELLED
        from jobharness.jobs import JobState

        def test_starts(jobharness_jobs):
            jobharness_jobs.track(FakeJob("left-running", JobState.RUNNING))
            jobharness_jobs.track(FakeJob("finished", JobState.SUCCEEDED))

        def test_after():
            assert CANCELLED == ["left-running"]
        """,
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-rA")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["*jobharness cleanup*", "*cancelled leftover fake job left-running*"]
    )


def test_failing_test_report_lists_jobs_with_output(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        helpers=JOB_MODULE,
        test_fails="""
        from helpers import FakeJob
        from jobharness.jobs import JobState

        def test_fails(jobharness_jobs):
            jobharness_jobs.track(FakeJob("j-42", JobState.FAILED))
            assert False
        """,
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--junitxml=out.xml")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*jobharness jobs*", "fake job j-42: failed", "    line two"])
    junit = (pytester.path / "out.xml").read_text()
    assert 'name="jobharness_job" value="fake:j-42"' in junit


def test_timeout_marker_beats_option_env_and_ini(pytester: pytest.Pytester, monkeypatch) -> None:
    pytester.makeini("[pytest]\njobharness_timeout = 11\n")
    pytester.makepyfile(
        test_timeouts="""
        import pytest
        from pytest_plugin._common import wait_timeout

        def test_setting(request):
            assert wait_timeout(request) == float(request.config.getoption("expected"))

        @pytest.mark.jobharness(timeout=2.5)
        def test_marker(request):
            assert wait_timeout(request) == 2.5
        """,
        conftest="""
        def pytest_addoption(parser):
            parser.addoption("--expected")
        """,
    )
    monkeypatch.delenv("JOBHARNESS_TIMEOUT", raising=False)
    pytester.runpytest("-p", "no:cacheprovider", "--expected=11").assert_outcomes(passed=2)
    monkeypatch.setenv("JOBHARNESS_TIMEOUT", "22")
    pytester.runpytest("-p", "no:cacheprovider", "--expected=22").assert_outcomes(passed=2)
    pytester.runpytest(
        "-p", "no:cacheprovider", "--expected=33", "--jobharness-timeout=33"
    ).assert_outcomes(passed=2)


def test_caller_id_carries_worker_and_test(pytester: pytest.Pytester, monkeypatch) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw7")
    monkeypatch.setenv("JOBHARNESS_RUN_ID", "run-5")
    pytester.makepyfile(
        test_ids="""
        from pytest_plugin._common import caller_id

        def test_name(request):
            assert caller_id(request) == "run-5/gw7:test_ids.py::test_name#1"
            short = caller_id(request, limit=20)
            assert len(short) == 20 and short.startswith("run-5/...") and short.endswith("#2")
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


@pytest.mark.parametrize("family", ["xunit1", "xunit2", "legacy"])
def test_job_ids_reach_junit_xml_without_a_warning(pytester: pytest.Pytester, family: str) -> None:
    pytester.makepyfile(
        helpers=JOB_MODULE,
        test_ids="""
        from helpers import FakeJob
        from jobharness.jobs import JobState

        def test_passes(jobharness_jobs):
            jobharness_jobs.track(FakeJob("j-7", JobState.SUCCEEDED))
        """,
    )
    result = pytester.runpytest(
        "-p",
        "no:cacheprovider",
        "--junitxml=out.xml",
        "-o",
        f"junit_family={family}",
        "-W",
        "error::pytest.PytestWarning",
    )
    result.assert_outcomes(passed=1)
    assert "record_property" not in result.stdout.str()
    junit = (pytester.path / "out.xml").read_text()
    assert 'name="jobharness_job" value="fake:j-7"' in junit
