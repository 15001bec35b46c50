"""The job timeline in pytest's reports, from pytester runs against a real saltant server."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from .conftest import SLEEPER, THREE_JOBS


def states(html: str) -> list[str]:
    return re.findall(r'<g class="job" data-state="(\w+)"', html)


def test_the_standalone_report_has_every_test_that_started_jobs(
    pytester: pytest.Pytester, inner_args: list[str]
) -> None:
    pytester.makepyfile(test_inner=THREE_JOBS)
    result = pytester.runpytest(*inner_args, "--jobharness-report=out/jobs.html")
    result.assert_outcomes(passed=2, failed=1)
    page_path = pytester.path / "out" / "jobs.html"
    result.stdout.fnmatch_lines([f"*jobharness job timeline: {page_path}*"])
    page = page_path.read_text()
    tests = re.findall(r'<section class="test"><h2[^>]*>([^<]+) <span', page)
    assert tests == [
        "test_inner.py::test_three_jobs",
        "test_inner.py::test_fails_with_a_failed_job",
    ]
    assert states(page) == ["succeeded", "failed", "cancelled", "failed"]
    titles = [html.unescape(t) for t in re.findall(r"<title>([^<]*)</title>", page)[1:]]
    assert re.match(r"left@\S*test_inner\.py::test_three_jobs", titles[2]), titles[2]
    assert "state: cancelled (native 'terminated')" in titles[2]
    assert "slept 0 s" in page  # the output of the failed job of the failing test
    (token,) = [a.split("=", 1)[1] for a in inner_args if a.startswith("--saltant-token=")]
    assert token not in page


def test_the_page_gathers_the_jobs_of_xdist_workers(
    pytester: pytest.Pytester, inner_args: list[str]
) -> None:
    pytest.importorskip("xdist")
    pytester.makepyfile(test_inner=THREE_JOBS)
    result = pytester.runpytest(*inner_args, "-n", "2", "--jobharness-report=jobs.html")
    result.assert_outcomes(passed=2, failed=1)
    page = (pytester.path / "jobs.html").read_text()
    assert sorted(states(page)) == ["cancelled", "failed", "failed", "succeeded"]


def test_the_ini_option_names_the_page_and_a_run_without_jobs_says_so(
    pytester: pytest.Pytester, inner_args: list[str]
) -> None:
    pytester.makeini("[pytest]\njobharness_report = from-ini.html\n")
    pytester.makepyfile("def test_nothing(): pass")
    pytester.runpytest(*inner_args).assert_outcomes(passed=1)
    assert "No test started a job" in (pytester.path / "from-ini.html").read_text()


def test_pytest_html_shows_the_timeline_in_the_test_row(
    pytester: pytest.Pytester, inner_args: list[str]
) -> None:
    pytest.importorskip("pytest_html")
    pytester.makepyfile(test_inner=THREE_JOBS)
    result = pytester.runpytest(*inner_args, "--html=report.html", "--self-contained-html")
    result.assert_outcomes(passed=2, failed=1)
    report = (pytester.path / "report.html").read_text()
    # pytest-html keeps the rows as JSON in the page
    blob = re.search(r'data-jsonblob="([^"]*)"', report)
    assert blob is not None
    data = json.loads(html.unescape(blob.group(1)))
    extras = {
        test_id: [extra["content"] for run in runs for extra in run.get("extras", [])]
        for test_id, runs in data["tests"].items()
    }
    assert states("".join(extras["test_inner.py::test_three_jobs"])) == [
        "succeeded",
        "failed",
        "cancelled",
    ]
    assert not any("jobharness-timeline" in e for e in extras["test_inner.py::test_without_jobs"])


def allure_results(directory: Path) -> dict[str, dict[str, object]]:
    found = {}
    for path in directory.glob("*-result.json"):
        data = json.loads(path.read_text())
        found[data["name"]] = data
    return found


def test_allure_pytest_gets_the_timeline_and_failed_output(
    pytester: pytest.Pytester, inner_args: list[str]
) -> None:
    pytest.importorskip("allure_pytest")
    pytester.makepyfile(test_inner=THREE_JOBS)
    result = pytester.runpytest(*inner_args, "--alluredir=allure")
    result.assert_outcomes(passed=2, failed=1)
    results = allure_results(pytester.path / "allure")
    attached = {
        name: {a["name"]: a["source"] for a in data.get("attachments", [])}  # type: ignore[attr-defined]
        for name, data in results.items()
    }
    assert "jobharness job timeline" in attached["test_three_jobs"]
    assert attached["test_without_jobs"] == {}
    failing = attached["test_fails_with_a_failed_job"]
    (output,) = [name for name in failing if name.startswith("output of saltant job ")]
    assert "slept 0 s" in (pytester.path / "allure" / failing[output]).read_text()
    page = pytester.path / "allure" / attached["test_three_jobs"]["jobharness job timeline"]
    assert states(page.read_text()) == ["succeeded", "failed", "cancelled"]


def test_the_last_test_keeps_its_jobs_output_though_the_session_server_stops(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("JOBHARNESS_SALTANT_URL", "SALTANT_API_URL", "JOBHARNESS_REPORT"):
        monkeypatch.delenv(name, raising=False)
    pytester.makepyfile(
        f"""
        import sys

        def test_last(saltant, saltant_job):
            kind = saltant.executable_task_types.create(
                "report-last", f"{{sys.executable}} {SLEEPER}",
                required_arguments=["seconds", "exit_code"],
                required_arguments_default_values={{"seconds": 0, "exit_code": 0}})
            wl = saltant.task_whitelists.create("wl", whitelisted_executable_task_types=[kind.id])
            queue = saltant.task_queues.create("q", whitelists=[wl.id])
            saltant_job(kind, queue, {{"exit_code": 2}}).wait()
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--jobharness-report=j.html")
    result.assert_outcomes(passed=1)
    page = (pytester.path / "j.html").read_text()
    assert states(page) == ["failed"]
    assert "slept 0 s" in page
