"""The pytest plugin through pytester: settings, fixtures, cleanup of resources, reports."""

from __future__ import annotations

import pytest

from jobharness.backends.densefog import DensefogClient
from jobharness.targets import Target

pytest_plugins = ["pytester"]

SECRET = "hdr-secret-9f3"


@pytest.fixture
def outer(densefog_server: Target, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Point inner runs at this session's service and its job table."""
    for name in ("URL", "HEADERS", "JOB_TABLE", "DB", "APP", "WORKER_TICK"):
        monkeypatch.delenv(f"JOBHARNESS_DENSEFOG_{name}", raising=False)
    return [
        f"--densefog-url={densefog_server.url}",
        f"--densefog-job-table={densefog_server.info['job_table']}",
        "-p",
        "no:cacheprovider",
    ]


def test_the_header_masks_headers_and_the_job_table(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest(
        "--densefog-url=http://df.invalid/",
        f"--densefog-headers=X-Le-Secret: {SECRET}",
        f"--densefog-job-table=mysql://u:{SECRET}@db.invalid/jobs",
    )
    result.stdout.fnmatch_lines(
        [
            "jobharness densefog: densefog_url: http://df.invalid/ (argument)",
            "jobharness densefog: densefog_headers: *** (argument)",
            "jobharness densefog: densefog_job_table: *** (argument)",
        ]
    )
    assert SECRET not in result.stdout.str()


def test_the_embedded_service_by_default(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JOBHARNESS_DENSEFOG_URL", raising=False)
    monkeypatch.setenv("JOBHARNESS_DENSEFOG_WORKER_TICK", "0.1")
    pytester.makepyfile(
        """
        def test_embedded(densefog_server, densefog, densefog_resources):
            assert densefog_server.server is not None
            assert densefog_server.info["worker_tick"] == 0.1
            made = densefog_resources("instance", count=1, name="embedded")
            assert made.resources.wait(30, status="active")
            assert made.job.wait(30).native_state == "finished"
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*jobharness densefog: embedded server*"])


def test_resources_are_deleted_at_teardown_and_failures_list_the_jobs(
    pytester: pytest.Pytester, outer: list[str], densefog: DensefogClient
) -> None:
    ids_file = pytester.path / "ids.txt"
    pytester.makepyfile(
        f"""
        def test_leaves_resources(densefog_resources):
            made = densefog_resources("instance", count=2, name="leftover")
            open({str(ids_file)!r}, "w").write(",".join(made.ids))
            assert made.job.refresh().value == "not this", "on purpose"
        """
    )
    result = pytester.runpytest(*outer)
    result.assert_outcomes(failed=1)
    ids = ids_file.read_text().split(",")
    result.stdout.fnmatch_lines(
        [
            "*- jobharness jobs -*",
            "densefog job job-* 'CreateInstances': *",
            "*jobharness cleanup*",
            f"*deleted leftover densefog instance(s) {ids[0]} *",
        ]
    )
    assert densefog.resources("instance", ids).wait(30) == dict.fromkeys(ids, "deleted")


def test_the_job_factory_tracks_jobs_and_the_marker_sets_their_timeout(
    pytester: pytest.Pytester, outer: list[str]
) -> None:
    pytester.makepyfile(
        """
        import pytest
        from jobharness.errors import WaitTimeout

        def test_quick(densefog_job, jobharness_jobs):
            job = densefog_job("RunJob", job="Echo", params={"a": 1})
            assert job.wait().value == {"a": 1}
            assert jobharness_jobs.jobs == [job]
            assert densefog_job.get(job.id).wait().ok

        @pytest.mark.jobharness(timeout=0.3)
        def test_marker(densefog_job):
            job = densefog_job("RunJob", job="Sleepy", params={"seconds": 1.5})
            with pytest.raises(WaitTimeout, match="waited 0.3 s"):
                job.wait()
        """
    )
    result = pytester.runpytest(*outer, "-rA")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*awaited leftover densefog job*"])
