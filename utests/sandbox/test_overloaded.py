"""A 503 (no container free: nothing ran) is tried again until the call's deadline.

The real pool hands a container back about 11 s after its request ends, so
a burst larger than the pool needs more patience than a fixed number of
retries gives. The embedded server models that pool (``--containers``,
``--wait-for-container``, ``--container-return-delay``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from werkzeug.wrappers import Response

from jobharness.backends.sandbox import ASandbox, Sandbox, Sandbox503
from jobharness.servers.base import EmbeddedServer

OK = '{"status": 0, "execution": [], "total_time": 0.0}'
BUSY = "Sandbox overloaded, retry after a few seconds."
CONFIG = {"commands": ["true"]}


def _busy(stub: Any, times: int) -> None:
    stub.reply(*[Response(BUSY, status=503)] * times, stub.json(OK))


def test_a_503_is_retried_beyond_the_retry_count(stub: Any) -> None:
    _busy(stub, 6)
    with Sandbox(stub.url, retries=2, backoff=0.01) as client:
        assert client.execute(CONFIG).ok
    assert stub.paths == ["/execute/"] * 7


def test_the_async_client_retries_a_503_as_long(stub: Any) -> None:
    _busy(stub, 6)

    async def main() -> bool:
        async with ASandbox(stub.url, retries=2, backoff=0.01) as client:
            return (await client.execute(CONFIG)).ok

    assert asyncio.run(main())
    assert stub.paths == ["/execute/"] * 7


def test_a_503_is_raised_when_the_deadline_comes(stub: Any) -> None:
    stub.reply(Response(BUSY, status=503))
    with Sandbox(stub.url, retries=1, backoff=0.01) as client, pytest.raises(Sandbox503) as caught:
        client.execute(CONFIG, timeout=0.5)
    assert BUSY in str(caught.value)
    assert len(stub.paths) > 2  # more than the retry count: the deadline ended it


def test_retries_0_turns_retrying_off(stub: Any) -> None:
    stub.reply(Response(BUSY, status=503))
    with Sandbox(stub.url, retries=0) as client, pytest.raises(Sandbox503):
        client.execute(CONFIG)
    assert stub.paths == ["/execute/"]


def test_a_503_on_a_read_keeps_the_retry_count(stub: Any) -> None:
    stub.reply(Response("proxy busy", status=503))
    with Sandbox(stub.url, retries=2, backoff=0.01) as client, pytest.raises(Sandbox503):
        client.specifications()
    assert len(stub.paths) == 3


POOL = 5
BURST = POOL + 5


@pytest.fixture(scope="module")
def slow_pool() -> Iterator[EmbeddedServer]:
    """A pool of 5 containers, each back only 2.5 s after its request (the real one: ~11 s)."""
    args = ["--containers", str(POOL), "--wait-for-container", "0.2"]
    with EmbeddedServer("sandbox", [*args, "--container-return-delay", "2.5"]) as server:
        yield server


def test_a_burst_larger_than_the_pool_succeeds(slow_pool: EmbeddedServer) -> None:
    # backoff 0.1: three retries would give up after about 1.5 s, before any container is back
    with Sandbox(slow_pool.url, backoff=0.1) as client, ThreadPoolExecutor(BURST) as threads:
        results = list(
            threads.map(lambda i: client.execute({"commands": [f"echo {i}"]}), range(BURST))
        )
    assert [r.execution[0].stdout for r in results] == [str(i) for i in range(BURST)]


def test_an_async_burst_larger_than_the_pool_succeeds(slow_pool: EmbeddedServer) -> None:
    async def main() -> list[str]:
        async with ASandbox(slow_pool.url, backoff=0.1) as client:
            results = await asyncio.gather(
                *(client.execute({"commands": [f"echo {i}"]}) for i in range(BURST))
            )
        return [r.execution[0].stdout for r in results]

    assert asyncio.run(main()) == [str(i) for i in range(BURST)]
