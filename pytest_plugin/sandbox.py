"""pytest fixtures for the PremierLangage sandbox.

* ``--sandbox-url`` (env ``JOBHARNESS_SANDBOX_URL``, ini ``sandbox_url``):
  the server to use; without it an embedded server runs for the session;
* ``sandbox_server`` (session): where the requests go (:class:`ServerTarget`);
* ``sandbox`` (session): a :class:`~jobharness.backends.sandbox.Sandbox` client;
* ``asandbox``: makes an :class:`~jobharness.backends.sandbox.ASandbox` for the
  same server (call it inside your event loop);
* ``start_sandbox_job``: starts a background execution tracked by the test.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from jobharness.backends.sandbox import ASandbox, Sandbox, SandboxJob
from jobharness.backends.sandbox.environment import EnvironmentSource
from jobharness.backends.sandbox.settings import SANDBOX_URL
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


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--sandbox-url`` and the ``sandbox_url`` ini option."""
    add_setting(parser, SANDBOX_URL)


def pytest_report_header(config: pytest.Config) -> str:
    """Say which sandbox the run uses and where that setting came from."""
    return header_line("sandbox", get_setting(config, SANDBOX_URL))


@pytest.fixture(scope="session")
def sandbox_server(pytestconfig: pytest.Config) -> Iterator[ServerTarget]:
    """The sandbox of this session: the configured URL, or an embedded server."""
    with server_target(pytestconfig, SANDBOX_URL, "sandbox") as target:
        yield target


@pytest.fixture(scope="session")
def sandbox(sandbox_server: ServerTarget) -> Iterator[Sandbox]:
    """A sandbox client for the session's server (one keep-alive session)."""
    with Sandbox(sandbox_server.url) as client:
        yield client


@pytest.fixture
def asandbox(sandbox_server: ServerTarget) -> Callable[..., ASandbox]:
    """A factory of asyncio clients for the session's server: ``async with asandbox() as s:``."""
    return functools.partial(ASandbox, sandbox_server.url)


@pytest.fixture
def start_sandbox_job(
    request: pytest.FixtureRequest, sandbox: Sandbox, jobharness_jobs: JobRecorder
) -> Callable[..., SandboxJob]:
    """Start a background execution tracked for this test (reported if the test fails).

    ``start_sandbox_job(config, environ=None)`` returns the job; its wait
    timeout is the ``jobharness(timeout=...)`` marker or the session default.
    """

    def start(config: Mapping[str, Any], environ: EnvironmentSource | None = None) -> SandboxJob:
        job = sandbox.start(config, environ, name=caller_id(request))
        job.default_timeout = wait_timeout(request)
        jobharness_jobs.track(job)
        return job

    return start
