"""Shared pieces of the pytest plugin: settings, targets, the recorder, the marker, reports.

Backend plugin modules use:

* :func:`add_setting` / :func:`get_setting` to declare and read a setting with
  the precedence CLI option > environment variable > ini option > default,
  and :func:`header_lines` for the report header;
* :func:`open_target` for a session fixture that starts the embedded
  servers unless a server is configured (the engine decides which);
* the ``jobharness_jobs`` fixture (a :class:`JobRecorder`) to track what a
  test starts: jobs are cancelled and anything else cleaned up at teardown,
  listed in a failing test's report and recorded as JUnit properties;
* :func:`wait_timeout` for the per-test ``@pytest.mark.jobharness(timeout=...)``;
* :func:`caller_id` for job names that carry the xdist worker and the test;
* :func:`renamed_fixture` for fixtures that kept an older name.

Nothing here imports a backend: a run pays only for the backends its tests use.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import warnings
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import pytest

from jobharness.cleanup import CLEANUP_TIMEOUT, Cleanable, CleanupReport, clean_up
from jobharness.deadline import Deadline, bounded, parse_timeout
from jobharness.errors import JobHarnessError
from jobharness.failures import describe_job
from jobharness.jobs import DEFAULT_TIMEOUT, Job
from jobharness.redaction import live_secrets, mask_values, url_secrets
from jobharness.settings import Resolved, Setting, resolve

if TYPE_CHECKING:
    from jobharness.targets import Target, TargetSpec

GROUP = "jobharness"
REPORT_TAIL_LINES = 50
"""Lines of each job's output a failing test's report shows (the last ones)."""
REPORT_REFRESH_TIMEOUT = 5.0
"""Seconds a failing test's report may spend asking for its unfinished jobs' states."""

TIMEOUT = Setting(
    "jobharness_timeout",
    "default wait timeout in seconds for jobharness fixtures",
    env=("JOBHARNESS_TIMEOUT",),
    default=str(DEFAULT_TIMEOUT),
)
CLEANUP = Setting(
    "jobharness_cleanup_timeout",
    "seconds the cleanup at the end of a test may take, all requests included",
    env=("JOBHARNESS_CLEANUP_TIMEOUT",),
    default=str(CLEANUP_TIMEOUT),
)

_ITEMS = pytest.StashKey[list[Cleanable]]()
CLEANUP_DEADLINE = pytest.StashKey[Deadline]()
"""The deadline of a test's cleanup, shared by what reports look up after it."""
_RECORDERS = pytest.StashKey[list["JobRecorder"]]()


def __getattr__(name: str) -> Any:
    if name == "ServerTarget":  # the older name of the targets the fixtures yield
        from jobharness.targets import Target

        return Target
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# -- settings -------------------------------------------------------------------------------


_DECLARED: dict[str, Setting] = {}
"""Every setting declared by a backend plugin (declarations only: the values stay in config)."""


def add_setting(parser: pytest.Parser, setting: Setting) -> None:
    """Declare ``setting`` as a CLI option in the jobharness group and as an ini option."""
    _DECLARED[setting.name] = setting
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


def header_lines(
    backend: str, config: pytest.Config, settings: Sequence[Setting], primary: Sequence[Setting]
) -> list[str]:
    """The report header of one backend: its settings (secrets masked), or "embedded".

    ``primary`` are the settings that name a server; with none of them set,
    the backend uses embedded servers.
    """
    if not any(get_setting(config, setting).value for setting in primary):
        names = "/".join(setting.name for setting in primary)
        return [f"jobharness {backend}: embedded server (no {names} set)"]
    return [
        f"jobharness {backend}: {resolved.describe()}"
        for resolved in (get_setting(config, setting) for setting in settings)
        if resolved.value is not None and resolved.source != "default"
    ]


# -- targets --------------------------------------------------------------------------------


@contextlib.contextmanager
def open_target(config: pytest.Config, spec: TargetSpec, **options: Any) -> Iterator[Target]:
    """The configured server of ``spec`` (from options, env, ini), or its embedded servers.

    What was started is stopped when the block ends.
    """
    from jobharness.targets import open_target as engine_open_target

    settings = spec.resolve(lambda setting: get_setting(config, setting))
    with engine_open_target(spec, settings, options=options) as target:
        yield target


# -- the recorder ---------------------------------------------------------------------------


def _junit_property(item: pytest.Item, name: str, value: str) -> None:
    """Record a JUnit property without the warning ``record_property`` gives under xunit2."""
    item.user_properties.append((name, value))


class JobRecorder:
    """What one test started: cleaned up at teardown, reported when the test fails."""

    def __init__(self, item: pytest.Item, timeout: float = CLEANUP_TIMEOUT) -> None:
        self.item = item
        self.timeout = timeout
        self.items: list[Cleanable] = []

    @property
    def jobs(self) -> list[Job]:
        """The jobs among what was recorded."""
        return [item for item in self.items if isinstance(item, Job)]

    def track(self, item: Cleanable) -> Any:
        """Record ``item`` (a job, session, handle or resource) for cleanup; return it."""
        self.items.append(item)
        self.item.stash.setdefault(_ITEMS, []).append(item)
        if isinstance(item, Job):
            _junit_property(self.item, "jobharness_job", f"{item.backend}:{item.id}")
        return item

    def cleanup(self) -> CleanupReport:
        """Clean up everything recorded (cancel unfinished jobs ...), within the cleanup timeout."""
        items, self.items = self.items, []
        return clean_up(items, self.timeout)


@pytest.fixture
def jobharness_jobs(request: pytest.FixtureRequest) -> Iterator[JobRecorder]:
    """Track what a test starts; cancel, close or delete what is left when the test ends."""
    timeout = parse_timeout(get_setting(request.config, CLEANUP).value, CLEANUP.name)
    recorder = JobRecorder(request.node, timeout)
    live = request.config.stash.setdefault(_RECORDERS, [])
    live.append(recorder)
    yield recorder
    live.remove(recorder)
    request.node.stash[CLEANUP_DEADLINE] = Deadline(timeout, "cleanup")
    report = recorder.cleanup()
    if report:
        request.node.add_report_section("teardown", "jobharness cleanup", "\n".join(report.lines()))


def wait_timeout(request: pytest.FixtureRequest, default: float | None = None) -> float:
    """The wait timeout for this test: the ``jobharness(timeout=...)`` marker, else the setting."""
    marker = request.node.get_closest_marker("jobharness")
    if marker is not None and marker.kwargs.get("timeout") is not None:
        return parse_timeout(marker.kwargs["timeout"], "jobharness(timeout=...)")
    if default is not None:
        return default
    return parse_timeout(get_setting(request.config, TIMEOUT).value, TIMEOUT.name)


def caller_id(request: pytest.FixtureRequest, limit: int = 100) -> str:
    """``<run id>/<xdist worker>:<test node id>#<n>``, a new one for each job (see reap.py)."""
    from pytest_plugin.reap import job_caller

    return job_caller(request, limit)


def renamed_fixture(request: pytest.FixtureRequest, old: str, new: str) -> Any:
    """The fixture ``new``, for a fixture still requested by its older name ``old``."""
    warnings.warn(
        f"the jobharness fixture {old!r} is now called {new!r}; request {new!r} instead",
        DeprecationWarning,
        stacklevel=2,
    )
    return request.getfixturevalue(new)


# -- hooks ----------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the shared options."""
    add_setting(parser, TIMEOUT)
    add_setting(parser, CLEANUP)


def _terminate_like_ctrl_c(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"stopped by signal {signum}")


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``jobharness`` marker; make SIGTERM stop a run as Ctrl-C does.

    pytest dies on SIGTERM without running a teardown, so the jobs of the
    running test would stay running on their server. Unless someone else
    handles SIGTERM already, it raises KeyboardInterrupt: teardowns run and
    clean up.
    """
    if (
        threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    ):
        signal.signal(signal.SIGTERM, _terminate_like_ctrl_c)
    config.addinivalue_line(
        "markers",
        "jobharness(timeout=None): per-test jobharness settings; timeout is the wait timeout in s",
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Add the test's jobs, with their states and output, to a failing test's report.

    Then mask every secret the run knows in the report (see :func:`scrub_report`).
    """
    report = yield
    jobs = [thing for thing in item.stash.get(_ITEMS, []) if isinstance(thing, Job)]
    if report.failed and jobs and report.when == "call":
        # one budget for the whole section: a frozen server delays a failing test's
        # report by at most the cleanup timeout
        cleanup = parse_timeout(get_setting(item.config, CLEANUP).value, CLEANUP.name)
        budget = Deadline(min(REPORT_REFRESH_TIMEOUT, cleanup), "the report")
        _refresh_for_report(jobs, budget)
        described = (_describe(job, budget.remaining()) for job in jobs)
        report.sections.append(("jobharness jobs", "\n".join(described)))
    scrub_report(report, known_secrets(item.config))
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Any:
    """Mask the run's secrets in a collection error too."""
    report = yield
    scrub_report(report, known_secrets(collector.config))
    return report


def known_secrets(config: pytest.Config) -> set[str]:
    """Every secret this run knows: secret settings, URL passwords, what live clients hold."""
    found = live_secrets()
    for setting in _DECLARED.values():
        try:
            value = get_setting(config, setting).value
        except (ValueError, KeyError):  # an option of a plugin that is not loaded here
            continue
        if value:
            found |= {value} if setting.secret else url_secrets(value)
    return found


def scrub_report(report: pytest.CollectReport | pytest.TestReport, secrets: set[str]) -> None:
    """Mask ``secrets`` in a report: the traceback (locals included), sections, properties.

    pytest prints a report, and writes it into JUnit XML, from these fields;
    a traceback that holds a secret is kept as its text with the secret masked.
    """
    if not secrets:
        return
    longrepr = report.longrepr
    if longrepr is not None and not isinstance(longrepr, tuple):
        text = str(longrepr)
        if any(secret in text for secret in secrets):
            report.longrepr = mask_values(text, secrets)
    report.sections = [(title, mask_values(body, secrets)) for title, body in report.sections]
    if isinstance(report, pytest.TestReport):
        report.user_properties = [
            (name, mask_values(value, secrets) if isinstance(value, str) else value)
            for name, value in report.user_properties
        ]


def _refresh_for_report(jobs: list[Job], budget: Deadline) -> None:
    """Ask the servers once for the unfinished jobs' states, so the report shows the latest.

    Within ``budget``; a job whose server does not answer keeps its last known
    state (the report is not the place to fail).
    """
    groups: dict[type[Job], list[Job]] = {}
    for job in jobs:
        if not job.done:
            groups.setdefault(type(job), []).append(job)
    with bounded(budget):
        for cls, group in groups.items():
            with contextlib.suppress(JobHarnessError):
                cls.refresh_many(group)


def _describe(job: Job, output_timeout: float) -> str:
    """The job's summary, its exit code where known, then the tail of its output."""
    return describe_job(job, lines=REPORT_TAIL_LINES, output_timeout=output_timeout)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Last resort after an interrupted run: clean up what no teardown reached."""
    for recorder in session.config.stash.get(_RECORDERS, []):
        recorder.cleanup()


__all__ = [
    "CLEANUP",
    "TIMEOUT",
    "JobRecorder",
    "add_setting",
    "caller_id",
    "get_setting",
    "header_lines",
    "known_secrets",
    "open_target",
    "renamed_fixture",
    "scrub_report",
    "wait_timeout",
]
