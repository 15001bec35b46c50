"""pytest fixtures for harp: the dispatcher (jobs, streams) and harpd (direct calls).

Settings (CLI > env > ini > default):

* ``--harp-dispatcher host:port`` (``JOBHARNESS_HARP_DISPATCHER``, ini ``harp_dispatcher``)
  and ``--harp-host`` (the target's registry name, default ``local``);
* ``--harpd-url host:port`` with ``--harpd-user``, ``--harpd-password`` (secret)
  and ``--harpd-ca-file``.

With neither server configured, an embedded harpd and dispatcher run for the session.

Fixtures (older names in brackets, still working):

* ``harp_server`` (session) [``harp_servers``]: the
  :class:`~jobharness.backends.harp.target.HarpTargets`;
* ``harp`` (session) [``harp_caller``]: a :class:`~jobharness.backends.harp.HarpCaller`;
* ``harpd`` (session): a :class:`~jobharness.backends.harp.HarpServer`;
* ``harp_job`` (function) [``harp_call``]: submits calls tracked by the test
  (cancelled at teardown if unfinished, listed in a failing test's report,
  JUnit properties): ``harp_job("add", 2, 40)``;
  ``harp_job.using(queue={...}, timeout=30)("sleep", 5)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from jobharness.backends.harp.settings import ALL_SETTINGS, HARP_DISPATCHER, HARPD_URL
from pytest_plugin._common import (
    TIMEOUT,
    JobRecorder,
    add_setting,
    caller_id,
    get_setting,
    header_lines,
    open_target,
    renamed_fixture,
    wait_timeout,
)

if TYPE_CHECKING:
    from jobharness.backends.harp import CallOptions, HarpCaller, HarpServer, RemoteCall
    from jobharness.backends.harp.target import HarpTargets


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the harp options and ini names."""
    for setting in ALL_SETTINGS:
        add_setting(parser, setting)


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say which harp servers the run uses (never the password)."""
    return header_lines("harp", config, ALL_SETTINGS, (HARP_DISPATCHER, HARPD_URL))


@pytest.fixture(scope="session")
def harp_server(pytestconfig: pytest.Config) -> Iterator[HarpTargets]:
    """The harp servers of this session: configured ones, or an embedded pair."""
    from jobharness.backends.harp.target import HARP_TARGET, HarpTargets

    with open_target(pytestconfig, HARP_TARGET) as target:
        yield HarpTargets(target)


@pytest.fixture(scope="session")
def harp_servers(request: pytest.FixtureRequest) -> HarpTargets:
    """The older name of ``harp_server`` (deprecated)."""
    targets: HarpTargets = renamed_fixture(request, "harp_servers", "harp_server")
    return targets


@pytest.fixture(scope="session")
def harp(harp_server: HarpTargets, pytestconfig: pytest.Config) -> HarpCaller:
    """A dispatcher client for the session (one connection per request, nothing to close)."""
    default = get_setting(pytestconfig, TIMEOUT).value
    return harp_server.caller(wait_timeout=float(default or 60))


@pytest.fixture(scope="session")
def harp_caller(request: pytest.FixtureRequest) -> HarpCaller:
    """The older name of ``harp`` (deprecated)."""
    caller: HarpCaller = renamed_fixture(request, "harp_caller", "harp")
    return caller


@pytest.fixture(scope="session")
def harpd(harp_server: HarpTargets) -> HarpServer:
    """A harpd client for the session, TLS verified against the configured (or embedded) CA."""
    return harp_server.harpd_target().server()


class HarpCallFactory:
    """Submits dispatcher calls for one test and tracks them (see :func:`harp_job`)."""

    def __init__(
        self,
        caller: HarpCaller,
        recorder: JobRecorder,
        host: str,
        options: CallOptions,
        timeout: float,
    ) -> None:
        self.caller = caller
        self.recorder = recorder
        self.host = host
        self.options = options
        self.timeout = timeout

    def using(self, host: str | None = None, **options: Any) -> HarpCallFactory:
        """A factory for another host and/or job options (queue, concurrency, timeout, info)."""
        return HarpCallFactory(
            self.caller,
            self.recorder,
            host or self.host,
            self.options.replace(**options),
            self.timeout,
        )

    def __call__(self, procedure: str, *args: Any, **kwargs: Any) -> RemoteCall:
        """Submit ``procedure(*args)`` or ``procedure(**kwargs)``; return the tracked call."""
        from jobharness.backends.harp.protocol import call_arguments

        call = self.caller.submit(self.host, procedure, call_arguments(args, kwargs), self.options)
        call.default_timeout = self.timeout
        self.recorder.track(call)
        return call


@pytest.fixture
def harp_job(
    request: pytest.FixtureRequest,
    harp: HarpCaller,
    harp_server: HarpTargets,
    jobharness_jobs: JobRecorder,
) -> HarpCallFactory:
    """Submit calls through the dispatcher; unfinished ones are cancelled when the test ends.

    Calls carry ``{"caller": "<xdist worker>:<test id>"}`` as ``info`` unless
    ``using(info=...)`` says otherwise; their wait timeout is the
    ``jobharness(timeout=...)`` marker or the session default.
    """
    from jobharness.backends.harp import CallOptions

    options = CallOptions.build(info={"caller": caller_id(request)})
    return HarpCallFactory(
        harp, jobharness_jobs, harp_server.host_name, options, wait_timeout(request)
    )


@pytest.fixture
def harp_call(request: pytest.FixtureRequest) -> HarpCallFactory:
    """The older name of ``harp_job`` (deprecated)."""
    factory: HarpCallFactory = renamed_fixture(request, "harp_call", "harp_job")
    return factory
