"""saltant waits end by their deadline, whatever the server does after the job started."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from jobharness.backends.saltant import SaltantClient, SaltantJob
from jobharness.errors import TransportError, WaitTimeout
from jobharness.waiting import as_completed, wait_for
from pytest_plugin._common import ServerTarget
from utests.timing import assert_ended_by

from .conftest import address_of
from .misbehaving import MODES, MisbehavingServer, elapsed_since

T = 1.0


@pytest.fixture
def through_proxy(
    saltant_server: ServerTarget,
    saltant: SaltantClient,
    misbehaving: Callable[..., MisbehavingServer],
    queue_ids: tuple[int, int],
) -> Iterator[tuple[MisbehavingServer, SaltantClient, SaltantJob]]:
    """A proxy, a client talking through it, and a job started through it (terminated after)."""
    proxy = misbehaving(address_of(saltant_server.url), "http")
    client = SaltantClient(proxy.url, saltant_server.info["token"], default_timeout=30)
    job = client.executable_task_instances.start(*queue_ids)
    yield proxy, client, job
    client.close()
    saltant.executable_task_instances.terminate(job.uuid)


@pytest.mark.parametrize("mode", MODES)
def test_wait_ends_by_its_timeout(
    through_proxy: tuple[MisbehavingServer, SaltantClient, SaltantJob], mode: str
) -> None:
    proxy, _, job = through_proxy
    proxy.switch(mode)
    started = time.monotonic()
    with pytest.raises((WaitTimeout, TransportError)) as caught:
        job.wait(T)
    assert_ended_by(elapsed_since(started), T, caught.value)
    if mode in ("silent", "drip"):
        assert isinstance(caught.value, WaitTimeout)
        assert job.uuid in str(caught.value) and "saltant job" in str(caught.value)
        assert caught.value.jobs == [job]


@pytest.mark.parametrize("mode", ["silent", "drip", "half"])
def test_many_jobs_and_as_completed_end_by_the_deadline(
    through_proxy: tuple[MisbehavingServer, SaltantClient, SaltantJob],
    queue_ids: tuple[int, int],
    saltant: SaltantClient,
    mode: str,
) -> None:
    proxy, client, first = through_proxy
    second = client.executable_task_instances.start(*queue_ids)
    try:
        proxy.switch(mode)
        for wait in (
            lambda: wait_for([first, second], T),
            lambda: list(as_completed([first, second], T)),
        ):
            started = time.monotonic()
            with pytest.raises((WaitTimeout, TransportError)):
                wait()
            assert_ended_by(elapsed_since(started), T)
    finally:
        saltant.executable_task_instances.terminate(second.uuid)


def test_frozen_server_with_default_settings(
    through_proxy: tuple[MisbehavingServer, SaltantClient, SaltantJob],
) -> None:
    """The default request timeout (90 s) and retries do not stretch a 2 s wait."""
    proxy, _, job = through_proxy
    proxy.switch("silent")
    started = time.monotonic()
    with pytest.raises(WaitTimeout) as caught:
        job.wait(2)
    assert_ended_by(elapsed_since(started), 2)
    assert "did not answer within the wait's 2 s" in str(caught.value)


def test_cancel_after_a_timed_out_wait_has_its_own_deadline(
    through_proxy: tuple[MisbehavingServer, SaltantClient, SaltantJob],
) -> None:
    proxy, _, job = through_proxy
    proxy.switch("silent")
    started = time.monotonic()
    with pytest.raises(WaitTimeout, match="cancel requested; not cancelled"):
        job.wait(T, on_timeout="cancel")
    from jobharness.waiting import CANCEL_TIMEOUT

    assert_ended_by(elapsed_since(started), T + CANCEL_TIMEOUT)
