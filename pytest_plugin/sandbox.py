"""pytest fixtures for the PremierLangage sandbox.

* ``--sandbox-url`` (env ``JOBHARNESS_SANDBOX_URL``, ini ``sandbox_url``):
  the server to use; without it an embedded server runs for the session;
* ``sandbox_server`` (session): where the requests go (a
  :class:`~jobharness.targets.Target`);
* ``sandbox`` (session): a :class:`~jobharness.backends.sandbox.Sandbox` client;
* ``asandbox``: makes an :class:`~jobharness.backends.sandbox.ASandbox` for the
  same server (call it inside your event loop);
* ``sandbox_job`` (function): starts background executions tracked by the
  test (``start_sandbox_job`` is its older name).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import pytest

from jobharness.backends.sandbox.settings import SANDBOX_URL
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
    from jobharness.backends.sandbox import ASandbox, Sandbox, SandboxJob
    from jobharness.backends.sandbox.environment import EnvironmentSource
    from jobharness.targets import Target


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--sandbox-url`` and the ``sandbox_url`` ini option."""
    add_setting(parser, SANDBOX_URL)


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say which sandbox the run uses and where that setting came from."""
    return header_lines("sandbox", config, (SANDBOX_URL,), (SANDBOX_URL,))


@pytest.fixture(scope="session")
def sandbox_server(pytestconfig: pytest.Config) -> Iterator[Target]:
    """The sandbox of this session: the configured URL, or an embedded server."""
    from jobharness.backends.sandbox.target import SANDBOX_TARGET

    with open_target(pytestconfig, SANDBOX_TARGET) as target:
        yield target


@pytest.fixture(scope="session")
def sandbox(sandbox_server: Target) -> Iterator[Sandbox]:
    """A sandbox client for the session's server (one keep-alive session)."""
    from jobharness.backends.sandbox.target import sandbox_client

    with sandbox_client(sandbox_server) as client:
        yield client


@pytest.fixture
def asandbox(sandbox_server: Target) -> Callable[..., ASandbox]:
    """A factory of asyncio clients for the session's server: ``async with asandbox() as s:``."""
    from jobharness.backends.sandbox.aclient import ASandbox

    return functools.partial(ASandbox, sandbox_server.url)


@pytest.fixture
def sandbox_job(
    request: pytest.FixtureRequest, sandbox: Sandbox, jobharness_jobs: JobRecorder
) -> Callable[..., SandboxJob]:
    """Start a background execution tracked for this test (reported if the test fails).

    ``sandbox_job(config, environ=None)`` returns the job; its wait timeout is
    the ``jobharness(timeout=...)`` marker or the session default.
    """

    def start(config: Mapping[str, Any], environ: EnvironmentSource | None = None) -> SandboxJob:
        job = sandbox.start(config, environ, name=caller_id(request))
        job.default_timeout = wait_timeout(request)
        jobharness_jobs.track(job)
        return job

    return start


@pytest.fixture
def start_sandbox_job(request: pytest.FixtureRequest) -> Callable[..., SandboxJob]:
    """The older name of ``sandbox_job`` (deprecated)."""
    starter: Callable[..., SandboxJob] = renamed_fixture(
        request, "start_sandbox_job", "sandbox_job"
    )
    return starter
