"""pytest fixtures for harp: the dispatcher (jobs, streams) and harpd (direct calls).

Settings (CLI > env > ini > default):

* ``--harp-dispatcher host:port`` (``JOBHARNESS_HARP_DISPATCHER``, ini ``harp_dispatcher``)
  and ``--harp-host`` (the target's registry name, default ``local``);
* ``--harpd-url host:port`` with ``--harpd-user``, ``--harpd-password`` (secret)
  and ``--harpd-ca-file``.

With neither server configured, an embedded harpd and dispatcher run for the session.

Fixtures:

* ``harp_servers`` (session): the :class:`~jobharness.backends.harp.targets.HarpTargets`;
* ``harp_caller`` (session): a :class:`~jobharness.backends.harp.HarpCaller`;
* ``harpd`` (session): a :class:`~jobharness.backends.harp.HarpServer`;
* ``harp_call`` (function): submits calls tracked by the test (cancelled at
  teardown if unfinished, listed in a failing test's report, JUnit properties):
  ``harp_call("add", 2, 40)``; ``harp_call.using(queue={...}, timeout=30)("sleep", 5)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from jobharness.backends.harp import CallOptions, HarpCaller, HarpServer, RemoteCall
from jobharness.backends.harp.protocol import call_arguments
from jobharness.backends.harp.settings import (
    ALL_SETTINGS,
    HARP_DISPATCHER,
    HARP_HOST,
    HARPD_CA_FILE,
    HARPD_PASSWORD,
    HARPD_URL,
    HARPD_USER,
)
from jobharness.backends.harp.targets import HarpTargets, configured_targets, embedded_targets
from jobharness.jobs import DEFAULT_TIMEOUT
from pytest_plugin._common import (
    TIMEOUT,
    JobRecorder,
    add_setting,
    caller_id,
    get_setting,
    wait_timeout,
)


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the harp options and ini names."""
    for setting in ALL_SETTINGS:
        add_setting(parser, setting)


def _configured(config: pytest.Config) -> HarpTargets | None:
    values = {setting.name: get_setting(config, setting) for setting in ALL_SETTINGS}
    sources = sorted(
        {values[s.name].source for s in (HARP_DISPATCHER, HARPD_URL) if values[s.name].value}
    )
    return configured_targets(
        values[HARP_DISPATCHER.name].value,
        values[HARPD_URL.name].value,
        values[HARPD_USER.name].value,
        values[HARPD_PASSWORD.name].value,
        values[HARPD_CA_FILE.name].value,
        values[HARP_HOST.name].value,
        source=", ".join(sources),
    )


def pytest_report_header(config: pytest.Config) -> str:
    """Say which harp servers the run uses (never the password)."""
    try:
        targets = _configured(config)
    except Exception as exc:  # a bad setting is reported by the fixtures, not here
        return f"jobharness harp: invalid settings ({exc})"
    if targets is None:
        return "jobharness harp: embedded harpd and dispatcher (no harp_dispatcher/harpd_url set)"
    return f"jobharness harp: {targets.describe()}"


@pytest.fixture(scope="session")
def harp_servers(pytestconfig: pytest.Config) -> Iterator[HarpTargets]:
    """The harp servers of this session: configured ones, or an embedded pair."""
    targets = _configured(pytestconfig)
    if targets is not None:
        yield targets
        return
    targets = embedded_targets()
    try:
        yield targets
    finally:
        targets.stop()


@pytest.fixture(scope="session")
def harp_caller(harp_servers: HarpTargets, pytestconfig: pytest.Config) -> HarpCaller:
    """A dispatcher client for the session (one connection per request, nothing to close)."""
    default = get_setting(pytestconfig, TIMEOUT).value
    return harp_servers.caller(wait_timeout=float(default or DEFAULT_TIMEOUT))


@pytest.fixture(scope="session")
def harpd(harp_servers: HarpTargets) -> HarpServer:
    """A harpd client for the session, TLS verified against the configured (or embedded) CA."""
    return harp_servers.harpd_target().server()


class HarpCallFactory:
    """Submits dispatcher calls for one test and tracks them (see :func:`harp_call`)."""

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
        call = self.caller.submit(self.host, procedure, call_arguments(args, kwargs), self.options)
        call.default_timeout = self.timeout
        self.recorder.track(call)
        return call


@pytest.fixture
def harp_call(
    request: pytest.FixtureRequest,
    harp_caller: HarpCaller,
    harp_servers: HarpTargets,
    jobharness_jobs: JobRecorder,
) -> HarpCallFactory:
    """Submit calls through the dispatcher; unfinished ones are cancelled when the test ends.

    Calls carry ``{"caller": "<xdist worker>:<test id>"}`` as ``info`` unless
    ``using(info=...)`` says otherwise; their wait timeout is the
    ``jobharness(timeout=...)`` marker or the session default.
    """
    options = CallOptions.build(info={"caller": caller_id(request)})
    return HarpCallFactory(
        harp_caller, jobharness_jobs, harp_servers.host_name, options, wait_timeout(request)
    )
