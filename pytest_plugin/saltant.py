"""pytest fixtures for saltant.

* ``--saltant-url`` (env ``JOBHARNESS_SALTANT_URL`` or ``SALTANT_API_URL``, ini
  ``saltant_url``): the API root to use; without it an embedded server runs for
  the session;
* ``--saltant-token`` (env ``JOBHARNESS_SALTANT_TOKEN`` or ``SALTANT_AUTH_TOKEN``,
  ini ``saltant_token``): its token, never shown (masked in the report header);
* ``saltant_server`` (session): where the requests go (:class:`ServerTarget`,
  with the token in ``info["token"]``);
* ``saltant`` (session): a :class:`~jobharness.backends.saltant.SaltantClient`;
* ``saltant_task`` (function): starts task instances tracked by the test: they
  are terminated at teardown when unfinished and listed with their states in a
  failing test's report.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Literal, Protocol

import pytest

from jobharness.backends.saltant import SaltantClient, SaltantJob, TaskQueue, TaskType
from jobharness.backends.saltant.settings import SALTANT_TOKEN, SALTANT_URL, embedded_server_args
from jobharness.errors import ConfigurationError
from pytest_plugin._common import (
    JobRecorder,
    ServerTarget,
    add_setting,
    caller_id,
    get_setting,
    header_line,
    server_target,
    wait_timeout,
)

NAME_LIMIT = 200


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--saltant-url`` and ``--saltant-token`` with their ini options."""
    add_setting(parser, SALTANT_URL)
    add_setting(parser, SALTANT_TOKEN)


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say which saltant server the run uses (the token masked)."""
    url = get_setting(config, SALTANT_URL)
    lines = [header_line("saltant", url)]
    if url.value is not None:
        lines.append(f"jobharness saltant: {get_setting(config, SALTANT_TOKEN).describe()}")
    return lines


@pytest.fixture(scope="session")
def saltant_server(pytestconfig: pytest.Config) -> Iterator[ServerTarget]:
    """The saltant server of this session: the configured URL, or an embedded server.

    ``info["token"]`` holds the token to use (the configured one, or the
    embedded server's admin token).
    """
    token, args = embedded_server_args()
    with server_target(pytestconfig, SALTANT_URL, "saltant", args) as target:
        if target.server is None:
            configured = get_setting(pytestconfig, SALTANT_TOKEN).value
            if not configured:
                raise ConfigurationError(
                    f"saltant URL {target.url} ({target.source}) needs a token: "
                    "--saltant-token, JOBHARNESS_SALTANT_TOKEN, SALTANT_AUTH_TOKEN or "
                    "ini saltant_token"
                )
            target.info["token"] = configured
        else:
            target.info.setdefault("token", token)
        yield target


@pytest.fixture(scope="session")
def saltant(saltant_server: ServerTarget) -> Iterator[SaltantClient]:
    """A saltant client for the session's server (token checked at once)."""
    with SaltantClient(
        saltant_server.url,
        saltant_server.info["token"],
        logs_dir=saltant_server.info.get("logs_dir"),
    ) as client:
        yield client


class StartTask(Protocol):
    """The ``saltant_task`` factory."""

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
def saltant_task(
    request: pytest.FixtureRequest, saltant: SaltantClient, jobharness_jobs: JobRecorder
) -> StartTask:
    """Start task instances tracked for this test.

    ``saltant_task(task_type, queue, arguments=None, name="", kind="executable")``
    takes the type and queue as objects or ids and returns a
    :class:`~jobharness.backends.saltant.SaltantJob` whose name carries the
    xdist worker and the test id. Its wait timeout is the
    ``jobharness(timeout=...)`` marker or the session default. Unfinished jobs
    are terminated at teardown and listed in a failing test's report.
    """
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
