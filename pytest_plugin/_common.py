"""Shared pieces of the pytest plugin: settings, the job recorder, the marker, reports.

Backend plugin modules use:

* :func:`add_setting` / :func:`get_setting` to declare and read a setting with
  the precedence CLI option > environment variable > ini option > default;
* :func:`server_target` for a session fixture that starts the embedded server
  unless a URL is configured;
* the ``jobharness_jobs`` fixture (a :class:`JobRecorder`) to track the jobs a
  test starts: they are cancelled at teardown, listed in a failing test's
  report and recorded as JUnit properties;
* :func:`wait_timeout` for the per-test ``@pytest.mark.jobharness(timeout=...)``;
* :func:`caller_id` for job names that carry the xdist worker and the test.
"""

from __future__ import annotations

import contextlib
import os
import textwrap
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from jobharness.cleanup import CleanupReport, cancel_unfinished
from jobharness.errors import JobHarnessError
from jobharness.jobs import DEFAULT_TIMEOUT, Job
from jobharness.servers.base import EmbeddedServer
from jobharness.settings import Resolved, Setting, resolve

GROUP = "jobharness"
OUTPUT_LIMIT = 4000

TIMEOUT = Setting(
    "jobharness_timeout",
    "default wait timeout in seconds for jobharness fixtures",
    env=("JOBHARNESS_TIMEOUT",),
    default=str(DEFAULT_TIMEOUT),
)

_JOBS = pytest.StashKey[list[Job]]()
_RECORDERS = pytest.StashKey[list["JobRecorder"]]()


# -- settings -------------------------------------------------------------------------------


def add_setting(parser: pytest.Parser, setting: Setting) -> None:
    """Declare ``setting`` as a CLI option in the jobharness group and as an ini option."""
    sources = [f"ini {setting.name}"] + [f"env {name}" for name in setting.env]
    group = parser.getgroup(GROUP, "jobharness: remote jobs")
    group.addoption(
        setting.cli_option,
        dest=setting.name,
        default=None,
        help=f"{setting.help} (also {', '.join(sources)})",
    )
    parser.addini(setting.name, help=setting.help, default=None)


def get_setting(config: pytest.Config, setting: Setting) -> Resolved:
    """Resolve ``setting``: CLI option > environment variable > ini option > default."""
    return resolve(
        setting,
        explicit=config.getoption(setting.name, default=None),
        configured=config.getini(setting.name),
    )


def header_line(backend: str, resolved: Resolved) -> str:
    """The report header line of one backend: its target and where the setting came from."""
    if resolved.value is None:
        return f"jobharness {backend}: embedded server (no {resolved.setting.name} set)"
    return f"jobharness {backend}: {resolved.describe()}"


# -- embedded or configured servers ---------------------------------------------------------


@dataclass
class ServerTarget:
    """Where a backend's fixtures send their requests: a URL, and the embedded server if any."""

    url: str
    info: dict[str, Any] = field(default_factory=dict)
    server: EmbeddedServer | None = None
    source: str = "embedded"


@contextlib.contextmanager
def server_target(
    config: pytest.Config, setting: Setting, backend: str, args: Sequence[str] = ()
) -> Iterator[ServerTarget]:
    """Yield the configured URL, or start the embedded ``backend`` server and stop it after."""
    resolved = get_setting(config, setting)
    if resolved.value is not None:
        yield ServerTarget(resolved.value, {"url": resolved.value}, None, resolved.source)
        return
    with EmbeddedServer(backend, args) as server:
        yield ServerTarget(server.url, dict(server.info), server, "embedded")


# -- the job recorder -----------------------------------------------------------------------


class JobRecorder:
    """The jobs one test started: cancelled at teardown, reported when the test fails."""

    def __init__(self, item: pytest.Item, record_property: Callable[[str, object], None]) -> None:
        self.item = item
        self.jobs: list[Job] = []
        self._record_property = record_property

    def track(self, job: Job) -> Job:
        """Record ``job`` for cleanup and reporting; return it."""
        self.jobs.append(job)
        self.item.stash.setdefault(_JOBS, []).append(job)
        self._record_property("jobharness_job", f"{job.backend}:{job.id}")
        return job

    def cleanup(self) -> CleanupReport:
        """Cancel every recorded job that is not finished."""
        jobs, self.jobs = self.jobs, []
        return cancel_unfinished(jobs)


@pytest.fixture
def jobharness_jobs(
    request: pytest.FixtureRequest, record_property: Callable[[str, object], None]
) -> Iterator[JobRecorder]:
    """Track the jobs a test starts; cancel those left unfinished when the test ends."""
    recorder = JobRecorder(request.node, record_property)
    live = request.config.stash.setdefault(_RECORDERS, [])
    live.append(recorder)
    yield recorder
    live.remove(recorder)
    report = recorder.cleanup()
    if report.cancelled or report.failed:
        request.node.add_report_section("teardown", "jobharness cleanup", "\n".join(report.lines()))


def wait_timeout(request: pytest.FixtureRequest, default: float | None = None) -> float:
    """The wait timeout for this test: the ``jobharness(timeout=...)`` marker, else the setting."""
    marker = request.node.get_closest_marker("jobharness")
    if marker is not None and marker.kwargs.get("timeout") is not None:
        return float(marker.kwargs["timeout"])
    if default is not None:
        return default
    return float(get_setting(request.config, TIMEOUT).value or DEFAULT_TIMEOUT)


def caller_id(request: pytest.FixtureRequest, limit: int = 100) -> str:
    """``<xdist worker>:<test node id>``, shortened from the left to ``limit`` characters."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    text = f"{worker}:{request.node.nodeid}"
    return text if len(text) <= limit else worker + ":..." + text[-(limit - len(worker) - 4) :]


# -- hooks ----------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the shared options."""
    add_setting(parser, TIMEOUT)


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``jobharness`` marker."""
    config.addinivalue_line(
        "markers",
        "jobharness(timeout=None): per-test jobharness settings; timeout is the wait timeout in s",
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Add the test's jobs, with their states and output, to a failing test's report."""
    report = yield
    jobs = item.stash.get(_JOBS, [])
    if report.failed and jobs and report.when == "call":
        report.sections.append(("jobharness jobs", "\n".join(_describe(job) for job in jobs)))
    return report


def _describe(job: Job) -> str:
    try:
        output = job.output()
    except JobHarnessError as exc:
        output = f"(output unavailable: {exc})"
    if not output:
        return job.summary()
    if len(output) > OUTPUT_LIMIT:
        output = "..." + output[-OUTPUT_LIMIT:]
    return job.summary() + "\n" + textwrap.indent(output, "    ")


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Last resort after an interrupted run: cancel jobs whose test never reached teardown."""
    for recorder in session.config.stash.get(_RECORDERS, []):
        recorder.cleanup()
