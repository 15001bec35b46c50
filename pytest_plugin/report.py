"""The job timeline of each test in pytest's reports.

When a test that started jobs ends (after its teardown cancelled what was
left), a snapshot of its jobs (:class:`~jobharness.jobrecord.JobRecord`) goes
on the teardown report as plain data, so it also travels from xdist workers.
From there:

* with pytest-html, the test's row gets the timeline (and the output of its
  failed jobs) as an HTML extra;
* with allure-pytest, the timeline and each failed job's output are attached
  to the test's result;
* ``--jobharness-report PATH`` (env ``JOBHARNESS_REPORT``, ini
  ``jobharness_report``) writes one standalone HTML page with the timeline of
  every test of the session.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jobharness.allure_attach import attach_jobs
from jobharness.jobrecord import REFRESH_TIMEOUT, JobRecord, records_of
from jobharness.settings import Setting
from jobharness.timeline import Section, render_fragment, render_outputs, render_page
from pytest_plugin._common import (
    _ITEMS,
    CLEANUP_DEADLINE,
    add_setting,
    get_setting,
    known_secrets,
)

REPORT = Setting(
    "jobharness_report",
    "write a standalone HTML page with the job timeline of every test to this file",
    env=("JOBHARNESS_REPORT",),
)
ATTRIBUTE = "jobharness_jobs"
"""The teardown report's attribute that holds the test's outcome and job records."""

_OUTCOME = pytest.StashKey[str]()
_RECORDS = pytest.StashKey[list[JobRecord]]()
_SECTIONS = pytest.StashKey[list[Section]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--jobharness-report`` and the ``jobharness_report`` ini option."""
    add_setting(parser, REPORT)


def _report_path(config: pytest.Config) -> Path | None:
    value = get_setting(config, REPORT).value
    if not value:
        return None
    return Path(config.invocation_params.dir, value)


def _outcome(item: pytest.Item, report: pytest.TestReport) -> str:
    """The test's outcome as the page shows it, from its setup, call and teardown reports."""
    known = item.stash.get(_OUTCOME, "passed")
    if report.failed and report.when != "call":
        known = "error"
    elif report.failed or (report.skipped and known == "passed"):
        known = report.outcome
    item.stash[_OUTCOME] = known
    return known


def _snapshot(item: pytest.Item) -> list[JobRecord]:
    """Records of the test's jobs, looked up within what is left of its cleanup's deadline."""
    jobs = item.stash.get(_ITEMS, [])
    if not jobs:
        return []
    left = item.stash[CLEANUP_DEADLINE].remaining() if CLEANUP_DEADLINE in item.stash else 0.0
    budget = min(left, REFRESH_TIMEOUT)
    return records_of(jobs, refresh_timeout=budget, secrets=known_secrets(item.config))


def pytest_fixture_post_finalizer(fixturedef: Any, request: pytest.FixtureRequest) -> None:
    """Snapshot a test's jobs right after its ``jobharness_jobs`` cleanup.

    Then a job the cleanup cancelled shows how it ended, and the servers and
    clients are still there (the last test's teardown also stops the session's).
    """
    if fixturedef.argname == "jobharness_jobs" and isinstance(request.node, pytest.Item):
        request.node.stash[_RECORDS] = _snapshot(request.node)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """At teardown, put the snapshot of the test's jobs on the report; add the pytest-html extra."""
    report = yield
    outcome = _outcome(item, report)
    if report.when != "teardown":
        return report
    records = item.stash[_RECORDS] if _RECORDS in item.stash else _snapshot(item)
    if not records:
        return report
    setattr(report, ATTRIBUTE, {"outcome": outcome, "jobs": [r.to_dict() for r in records]})
    if item.config.pluginmanager.hasplugin("html"):
        from pytest_html import extras  # type: ignore[import-untyped]

        fragment = render_fragment(records) + render_outputs(records)
        report.extras = [*getattr(report, "extras", []), extras.html(fragment)]
    attach_jobs(item.nodeid, outcome, records)
    return report


def pytest_configure(config: pytest.Config) -> None:
    """Register the writer of the standalone page when one is asked for (not on xdist workers)."""
    path = _report_path(config)
    if path is not None and not hasattr(config, "workerinput"):
        config.pluginmanager.register(PageWriter(path), "jobharness-report")


class PageWriter:
    """Gathers the jobs of every finished test and writes the standalone page at the end."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sections: list[Section] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Keep the jobs of a finished test (run here or on an xdist worker)."""
        data = getattr(report, ATTRIBUTE, None)
        if data:
            records = tuple(JobRecord.from_dict(job) for job in data["jobs"])
            self.sections.append(Section(report.nodeid, str(data["outcome"]), records))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Write the page (also when no test started a job: it says so)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(render_page(self.sections), encoding="utf-8")

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Say where the page is."""
        terminalreporter.write_sep("-", f"jobharness job timeline: {self.path}")
