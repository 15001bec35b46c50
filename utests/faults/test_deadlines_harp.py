"""harp waits, follows and direct calls end by their deadline, whatever the server does."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from jobharness.backends.harp import HarpCaller, HarpServer, RemoteCall
from jobharness.backends.harp.target import HarpTargets
from jobharness.errors import JobHarnessError, RequestTimedOut, TransportError, WaitTimeout
from utests.timing import assert_ended_by

from .misbehaving import MODES, MisbehavingServer, elapsed_since

T = 1.0


@pytest.fixture
def dispatcher_proxy(
    harp_server: HarpTargets,
    harp: HarpCaller,
    misbehaving: Callable[..., MisbehavingServer],
) -> Iterator[tuple[MisbehavingServer, RemoteCall]]:
    """A proxy to the dispatcher and a 60 s call submitted through it (cancelled after)."""
    assert harp_server.dispatcher is not None
    proxy = misbehaving(harp_server.dispatcher, "lines")
    caller = HarpCaller(*proxy.address, request_timeout=30, wait_timeout=60)
    call = caller.submit(harp_server.host_name, "sleep", [60])
    yield proxy, call
    harp.job(call.id).cancel()


@pytest.mark.parametrize("mode", MODES)
def test_wait_ends_by_its_timeout(
    dispatcher_proxy: tuple[MisbehavingServer, RemoteCall], mode: str
) -> None:
    proxy, call = dispatcher_proxy
    proxy.switch(mode)
    started = time.monotonic()
    with pytest.raises((WaitTimeout, TransportError)) as caught:
        call.wait(T)
    assert_ended_by(elapsed_since(started), T, caught.value)
    if mode in ("silent", "drip"):
        assert isinstance(caught.value, WaitTimeout)
        assert str(call.id) in str(caught.value)


@pytest.mark.parametrize("mode", MODES)
def test_polled_wait_ends_by_its_timeout(
    dispatcher_proxy: tuple[MisbehavingServer, RemoteCall], mode: str
) -> None:
    """Waiting on several calls polls (no blocking get_result): same bound."""
    from jobharness.waiting import wait_for

    proxy, call = dispatcher_proxy
    other = call.caller.job(call.id)
    proxy.switch(mode)
    started = time.monotonic()
    with pytest.raises((WaitTimeout, TransportError)):
        wait_for([call, other], T)
    assert_ended_by(elapsed_since(started), T)


@pytest.mark.parametrize("mode", MODES)
def test_follow_and_get_end_by_their_timeout(
    dispatcher_proxy: tuple[MisbehavingServer, RemoteCall], mode: str
) -> None:
    proxy, call = dispatcher_proxy
    proxy.switch(mode)
    for operation in (
        lambda: list(call.follow(since=0, timeout=T)),
        lambda: call.get(timeout=T),
        lambda: list(call.stream(timeout=T)),
    ):
        started = time.monotonic()
        with pytest.raises(JobHarnessError):
            operation()
        assert_ended_by(elapsed_since(started), T)


@pytest.mark.parametrize("mode", MODES)
def test_direct_harpd_call_ends_by_its_request_timeout(
    harp_server: HarpTargets, misbehaving: Callable[..., MisbehavingServer], mode: str
) -> None:
    target = harp_server.harpd_target()
    proxy = misbehaving((target.host, target.port), "lines")
    server = HarpServer(
        "127.0.0.1",
        target.user,
        target.password,
        port=proxy.port,
        ca_file=target.ca_file,
        request_timeout=T,
    )
    assert server.ping() == "pong"  # TLS through the proxy while it behaves
    proxy.switch(mode)
    started = time.monotonic()
    with pytest.raises(TransportError) as caught:
        server.ping()
    assert_ended_by(elapsed_since(started), T, caught.value)
    if mode in ("silent", "drip"):
        assert isinstance(caught.value, RequestTimedOut)
