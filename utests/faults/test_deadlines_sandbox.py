"""Sandbox calls and waits end by their deadline, whatever the server does (sync and async)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from jobharness.backends.sandbox import ASandbox, Sandbox
from jobharness.errors import JobHarnessError, RequestTimedOut, TransportError, WaitTimeout
from pytest_plugin._common import ServerTarget
from utests.timing import assert_ended_by

from .conftest import address_of
from .misbehaving import MODES, MisbehavingServer, elapsed_since

T = 1.0
CONFIG = {"commands": ["echo hi"]}
DEADLINE_BOUND = ("silent", "drip")
"""Behaviours only the deadline can end (the others end the call sooner, with their own error)."""


@pytest.fixture
def proxy(
    sandbox_server: ServerTarget, misbehaving: Callable[..., MisbehavingServer]
) -> MisbehavingServer:
    return misbehaving(address_of(sandbox_server.url), "http")


@pytest.mark.parametrize("mode", MODES)
def test_execute_ends_by_its_timeout(proxy: MisbehavingServer, mode: str) -> None:
    with Sandbox(proxy.url, request_timeout=30) as client:
        assert client.execute(CONFIG).ok  # through the proxy while it behaves
        proxy.switch(mode)
        started = time.monotonic()
        with pytest.raises(TransportError) as caught:
            client.execute(CONFIG, timeout=T)
        assert_ended_by(elapsed_since(started), T, caught.value)
    if mode in DEADLINE_BOUND:
        assert isinstance(caught.value, RequestTimedOut)
        assert "did not answer within 1 s" in str(caught.value)


@pytest.mark.parametrize("mode", MODES)
def test_a_read_ends_by_the_request_timeout(proxy: MisbehavingServer, mode: str) -> None:
    with Sandbox(proxy.url, request_timeout=T) as client:
        proxy.switch(mode)
        started = time.monotonic()
        with pytest.raises(TransportError):
            client.specifications()
        assert_ended_by(elapsed_since(started), T)


@pytest.mark.parametrize("mode", MODES)
def test_a_background_execution_is_waited_for_by_the_deadline(
    proxy: MisbehavingServer, mode: str
) -> None:
    with Sandbox(proxy.url, request_timeout=30) as client:
        proxy.switch(mode)
        job = client.start(CONFIG)
        started = time.monotonic()
        try:
            job.wait(T)
        except WaitTimeout as exc:
            assert job.id in str(exc) and "running" in str(exc)
        else:  # the request failed at once: the job ended in error, and said why
            assert job.result.state.value == "error" and job.result.error
        assert_ended_by(elapsed_since(started), T)


@pytest.mark.parametrize("mode", MODES)
def test_async_execute_ends_by_its_timeout(proxy: MisbehavingServer, mode: str) -> None:
    async def scenario() -> tuple[float, JobHarnessError]:
        async with ASandbox(proxy.url, request_timeout=30) as client:
            assert (await client.execute(CONFIG)).ok
            proxy.switch(mode)
            started = time.monotonic()
            try:
                await client.execute(CONFIG, timeout=T)
            except JobHarnessError as exc:
                return elapsed_since(started), exc
        raise AssertionError("the misbehaving server gave a result")

    elapsed, error = asyncio.run(scenario())
    assert_ended_by(elapsed, T, error)
    assert isinstance(error, TransportError)
    if mode in DEADLINE_BOUND:
        assert isinstance(error, RequestTimedOut)


def test_a_reply_larger_than_the_limit_is_refused(proxy: MisbehavingServer) -> None:
    with Sandbox(proxy.url, request_timeout=30, max_reply_bytes=100_000) as client:
        proxy.switch("endless")
        with pytest.raises(TransportError, match="limited to 100000 bytes"):
            client.specifications()
