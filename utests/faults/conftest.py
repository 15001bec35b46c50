"""Fixtures of the fault tests: misbehaving servers in front of this session's real ones."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest

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
