"""Fixtures of the fault tests: misbehaving servers in front of this session's real ones."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest

from jobharness.backends.saltant import SaltantClient

from .misbehaving import MisbehavingServer


def address_of(url: str) -> tuple[str, int]:
    """``(host, port)`` of an ``http://host:port/`` URL."""
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None, url
    return parts.hostname, parts.port


@pytest.fixture
def misbehaving() -> Iterator[Callable[..., MisbehavingServer]]:
    """Start misbehaving servers (proxies to a real one, or alone); all closed after the test."""
    started: list[MisbehavingServer] = []

    def start(
        upstream: tuple[str, int] | None = None, protocol: str = "http", drip_interval: float = 1.0
    ) -> MisbehavingServer:
        server = MisbehavingServer(upstream, protocol, drip_interval)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


@pytest.fixture(scope="session")
def queue_ids(saltant: SaltantClient) -> tuple[int, int]:
    """A task type that sleeps (``/bin/sleep 60``) and a queue that runs it."""
    run = uuid.uuid4().hex[:10]
    task_type = saltant.executable_task_types.create(f"sleep60-{run}", "/bin/sleep 60")
    whitelist = saltant.task_whitelists.create(
        f"faults-{run}", whitelisted_executable_task_types=[task_type.id]
    )
    queue = saltant.task_queues.create(f"faults-{run}", whitelists=[whitelist.id])
    return task_type.id, queue.id
