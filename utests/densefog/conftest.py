"""Fixtures of the densefog utests: the embedded service on SQLite and on a private MariaDB.

Both run the demo plus :mod:`testapp` with a short worker tick (0.1 s); one test
in ``server/test_worker.py`` keeps densefog's real 2 s tick.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from jobharness.backends.densefog import DensefogClient
from jobharness.backends.densefog.target import DENSEFOG_TARGET, densefog_client
from jobharness.servers.densefog.mariadb import available
from jobharness.targets import Target
from pytest_plugin._common import open_target

from .helpers import APP

FAST = {"worker_tick": 0.1, "app": str(APP), "try_period": 1, "action_delay": 0.1}

needs_mariadb = pytest.mark.skipif(
    not available(), reason="mariadbd is not installed (Debian: mariadb-server; ./dev.sh setup)"
)


@pytest.fixture(scope="session")
def densefog_server(pytestconfig: pytest.Config) -> Iterator[Target]:
    """The session's embedded service on SQLite, with the test app and a fast worker."""
    with open_target(pytestconfig, DENSEFOG_TARGET, **FAST) as target:
        yield target


@pytest.fixture(scope="session")
def mariadb_server(pytestconfig: pytest.Config) -> Iterator[Target]:
    """The same service on a private mariadbd (started by the service, through the launcher)."""
    if not available():
        pytest.skip("mariadbd is not installed (Debian: mariadb-server; ./dev.sh setup)")
    with open_target(pytestconfig, DENSEFOG_TARGET, db="mariadb", **FAST) as target:
        yield target


@pytest.fixture(params=["sqlite", pytest.param("mariadb", marks=needs_mariadb)])
def service(request: pytest.FixtureRequest) -> Target:
    """The embedded service on each database."""
    name = "densefog_server" if request.param == "sqlite" else "mariadb_server"
    target: Target = request.getfixturevalue(name)
    return target


@pytest.fixture
def client(service: Target) -> Iterator[DensefogClient]:
    """A client of :func:`service` reading jobs from its job table."""
    with densefog_client(service, wait_timeout=30) as made:
        yield made


@pytest.fixture
def action_client(service: Target) -> Iterator[DensefogClient]:
    """A client of :func:`service` reading jobs through ``DescribeJobs`` only."""
    with densefog_client(service, job_table=None, wait_timeout=30) as made:
        yield made


@pytest.fixture
def misbehaving() -> Iterator[Callable[..., Any]]:
    """Start misbehaving proxies (utests/faults); all closed after the test."""
    from ..faults.misbehaving import MisbehavingServer

    started: list[MisbehavingServer] = []

    def start(upstream: tuple[str, int], protocol: str = "http") -> MisbehavingServer:
        server = MisbehavingServer(upstream, protocol)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()
