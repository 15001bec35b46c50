"""pytest fixtures for saltant.

* ``--saltant-url`` (env ``JOBHARNESS_SALTANT_URL`` or ``SALTANT_API_URL``, ini
  ``saltant_url``): the API root to use; without it an embedded server runs for
  the session;
* ``--saltant-token`` (env ``JOBHARNESS_SALTANT_TOKEN`` or ``SALTANT_AUTH_TOKEN``,
  ini ``saltant_token``): its token, never shown (masked in the report header);
* ``--saltant-username`` and ``--saltant-password`` (env ``JOBHARNESS_SALTANT_USERNAME``,
  ``JOBHARNESS_SALTANT_PASSWORD``, ini ``saltant_username``, ``saltant_password``): log
  in with a JWT instead of a token (the password never shown); without a URL the
  embedded server gets that user;
* ``--saltant-logs-dir`` (env ``JOBHARNESS_SALTANT_LOGS_DIR``, ini
  ``saltant_logs_dir``): the worker's log directory as seen from here, so job
  output reaches ``job.output()`` and failing tests' reports;
* ``saltant_server`` (session): where the requests go (a
  :class:`~jobharness.targets.Target`, with the token in ``info["token"]``);
* ``saltant`` (session): a :class:`~jobharness.backends.saltant.SaltantClient`;
* ``saltant_job`` (function): starts task instances tracked by the test: they
  are terminated at teardown when unfinished and listed with their states in a
  failing test's report (``saltant_task`` is its older name).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal, Protocol

import pytest

from jobharness.backends.saltant.settings import (
    SALTANT_LOGS_DIR,
    SALTANT_PASSWORD,
    SALTANT_TOKEN,
    SALTANT_URL,
    SALTANT_USERNAME,
)
from pytest_plugin._common import (
    JobRecorder,
    add_setting,
    caller_id,
    header_lines,
    open_target,
    renamed_fixture,
    wait_timeout,
)

if TYPE_CHECKING:
    from jobharness.backends.saltant import SaltantClient, SaltantJob, TaskQueue, TaskType
    from jobharness.targets import Target

NAME_LIMIT = 200


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--saltant-url`` and ``--saltant-token`` with their ini options."""
    add_setting(parser, SALTANT_URL)
    add_setting(parser, SALTANT_TOKEN)
    add_setting(parser, SALTANT_LOGS_DIR)
    add_setting(parser, SALTANT_USERNAME)
    add_setting(parser, SALTANT_PASSWORD)


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say which saltant server the run uses (the token masked)."""
    settings = (SALTANT_URL, SALTANT_TOKEN, SALTANT_USERNAME, SALTANT_PASSWORD, SALTANT_LOGS_DIR)
    return header_lines("saltant", config, settings, (SALTANT_URL,))


@pytest.fixture(scope="session")
def saltant_server(pytestconfig: pytest.Config) -> Iterator[Target]:
    """The saltant server of this session: the configured URL, or an embedded server.

    ``info["token"]`` holds the token to use (the configured one, or the
    embedded server's admin token).
    """
    from jobharness.backends.saltant.target import SALTANT_TARGET

    with open_target(pytestconfig, SALTANT_TARGET) as target:
        yield target


@pytest.fixture(scope="session")
def saltant(saltant_server: Target) -> Iterator[SaltantClient]:
    """A saltant client for the session's server (token checked at once, or JWT login)."""
    from jobharness.backends.saltant.target import saltant_client

    with saltant_client(saltant_server) as client:
        yield client


class StartTask(Protocol):
    """The ``saltant_job`` factory."""

    def __call__(
        self,
        task_type: TaskType | int,
        queue: TaskQueue | int,
        arguments: Mapping[str, Any] | None = None,
        name: str = "",
        kind: Literal["executable", "container"] = "executable",
    ) -> SaltantJob:
        """Start an instance and return its job, tracked by the test."""


@pytest.fixture
def saltant_job(
    request: pytest.FixtureRequest, saltant: SaltantClient, jobharness_jobs: JobRecorder
) -> StartTask:
    """Start task instances tracked for this test.

    ``saltant_job(task_type, queue, arguments=None, name="", kind="executable")``
    takes the type and queue as objects or ids and returns a
    :class:`~jobharness.backends.saltant.SaltantJob` whose name carries the
    xdist worker and the test id. Its wait timeout is the
    ``jobharness(timeout=...)`` marker or the session default. Unfinished jobs
    are terminated at teardown and listed in a failing test's report.
    """
    from jobharness.backends.saltant import TaskQueue, TaskType

    timeout = wait_timeout(request)

    def start(
        task_type: TaskType | int,
        queue: TaskQueue | int,
        arguments: Mapping[str, Any] | None = None,
        name: str = "",
        kind: Literal["executable", "container"] = "executable",
    ) -> SaltantJob:
        manager = (
            saltant.container_task_instances
            if kind == "container"
            else saltant.executable_task_instances
        )
        type_id = task_type.id if isinstance(task_type, TaskType) else int(task_type)
        queue_id = queue.id if isinstance(queue, TaskQueue) else int(queue)
        label = f"{name}@" if name else ""
        job = manager.start(
            type_id, queue_id, arguments, f"{label}{caller_id(request)}"[-NAME_LIMIT:]
        )
        job.default_timeout = timeout
        jobharness_jobs.track(job)
        return job

    return start


@pytest.fixture
def saltant_task(request: pytest.FixtureRequest) -> StartTask:
    """The older name of ``saltant_job`` (deprecated)."""
    starter: StartTask = renamed_fixture(request, "saltant_task", "saltant_job")
    return starter
