"""Run ids and reaping in pytest: the run's id in every job name, and ``--jobharness-reap``.

* ``--jobharness-run-id`` (also env ``JOBHARNESS_RUN_ID``, ini
  ``jobharness_run_id``) names the run; without it the CI job id, xdist's
  test run uid or a generated id is used (see :mod:`jobharness.runid`).
  Under xdist every worker gets the controller's id. The report header
  shows the id and the command that reaps it.
* :func:`job_caller` gives each job a test starts its own name part:
  ``<run id>/<xdist worker>:<test id>#<n>``.
* ``pytest --jobharness-reap RUN_ID`` runs no tests: it cancels what the run
  ``RUN_ID`` left on the configured servers (the same options, env and ini
  settings as a test run), prints what each backend found, and exits 0, or 1
  when a backend met an error.
"""

from __future__ import annotations

import os

import pytest

from jobharness.errors import JobHarnessError
from jobharness.reap import Lookup, reap
from jobharness.runid import RUN_ID, RunId, detect_run_id, job_name
from jobharness.settings import Resolved, Setting, resolve
from pytest_plugin._common import GROUP, add_setting

_RUN_ID = pytest.StashKey[RunId]()
_JOB_COUNT = pytest.StashKey[int]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--jobharness-run-id`` and ``--jobharness-reap``."""
    add_setting(parser, RUN_ID)
    parser.getgroup(GROUP).addoption(
        "--jobharness-reap",
        dest="jobharness_reap",
        metavar="RUN_ID",
        default=None,
        help="run no tests: cancel what the run RUN_ID left on the configured servers",
    )


def _lookup(config: pytest.Config) -> Lookup:
    """Settings as a test run resolves them: option > env > ini > default."""

    def lookup(setting: Setting) -> Resolved:
        try:
            configured = config.getini(setting.name)
        except ValueError:  # a setting no loaded plugin declared as an ini option
            configured = None
        return resolve(setting, config.getoption(setting.name, default=None), configured or None)

    return lookup


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    """With ``--jobharness-reap RUN_ID``: reap, print, exit."""
    run_id = config.getoption("jobharness_reap", default=None)
    if not run_id:
        return None
    try:
        result = reap(run_id, _lookup(config))
    except JobHarnessError as exc:
        print(f"jobharness: {exc}")
        return int(pytest.ExitCode.USAGE_ERROR)
    print("\n".join(result.lines()))
    return int(pytest.ExitCode.OK if result.ok else pytest.ExitCode.TESTS_FAILED)


def pytest_configure(config: pytest.Config) -> None:
    """Decide the run id; under xdist hand it to the workers as their test run uid."""
    worker_input = getattr(config, "workerinput", None)
    runner = worker_input.get("testrunuid") if worker_input else None
    if runner is None:
        runner = getattr(config.option, "testrunuid", None)
    explicit = config.getoption(RUN_ID.name, default=None)
    if not explicit:
        try:
            explicit = config.getini(RUN_ID.name) if not os.environ.get(RUN_ID.env[0]) else None
        except ValueError:
            explicit = None
    try:
        run_id = detect_run_id(
            explicit or None,
            "--jobharness-run-id" if config.getoption(RUN_ID.name, default=None) else "ini",
            runner_id=runner,
            runner_source="xdist test run uid",
        )
    except JobHarnessError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[_RUN_ID] = run_id
    if worker_input is None and hasattr(config.option, "testrunuid") and runner is None:
        config.option.testrunuid = run_id.value


def pytest_report_header(config: pytest.Config) -> list[str]:
    """The run id and how to reap it."""
    run_id = run_id_of(config)
    return [
        f"jobharness run id: {run_id.value} ({run_id.source}); "
        f"after a crash: jobharness reap {run_id.value}"
    ]


def run_id_of(config: pytest.Config) -> RunId:
    """This run's id (decided at configure time)."""
    found = config.stash.get(_RUN_ID, None)
    if found is None:
        found = config.stash[_RUN_ID] = detect_run_id()
    return found


def job_caller(request: pytest.FixtureRequest, limit: int = 100) -> str:
    """``<run id>/<xdist worker>:<test node id>#<n>``: each job of a test gets its own.

    ``n`` counts the names this test asked for; the test id is shortened from
    the left to fit ``limit``, the run id never.
    """
    item = request.node
    count = item.stash.get(_JOB_COUNT, 0) + 1
    item.stash[_JOB_COUNT] = count
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    caller = f"{worker}:{item.nodeid}#{count}"
    return job_name(run_id_of(request.config).value, caller, limit=limit)
