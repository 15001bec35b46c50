"""Every backend behind the fault proxy, every fault: each wait ends right and in time.

For each backend a long job is made through a proxy that behaves, then the
proxy injects one fault for good and a wait with timeout T must end within
T + 0.5 s with a :class:`~jobharness.errors.JobHarnessError` that says why
(a wait timeout naming the job, or the transport's error). Then the same
fault for a moment only (``count``): a wait on a short job must survive it
and see the job succeed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from jobharness.backends.densefog.target import densefog_client
from jobharness.backends.harp import HarpCaller, HarpServer
from jobharness.backends.harp.target import HarpTargets
from jobharness.backends.saltant import SaltantClient
from jobharness.backends.saltant.target import SALTANT_TARGET, saltant_client
from jobharness.backends.sandbox import Sandbox
from jobharness.errors import JobHarnessError, TransportError, WaitTimeout
from jobharness.faultproxy import FAULTS, FaultProxy
from jobharness.jobs import Job, JobState
from jobharness.targets import Target

from .conftest import scaled
from .figures import record

T = 1.0
SLACK = 0.5
PERSISTENT = [fault for fault in FAULTS if fault != "refuse"] + ["refuse"]
TRANSIENT = [fault for fault in FAULTS if fault not in ("refuse",)]
ROUNDS = scaled(1, 3)


def address(url: str) -> tuple[str, int]:
    """``(host, port)`` of an ``http://host:port/`` URL."""
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None, url
    return parts.hostname, parts.port


def bounded_wait(wait: Callable[[], object], what: str, job: Job | None = None) -> None:
    """Run ``wait``; it must end by T + SLACK with a JobHarnessError (timeout or transport).

    A job whose own request met the fault may instead end in ``error``, saying why.
    """
    started = time.monotonic()
    error: BaseException | None = None
    try:
        wait()
    except (WaitTimeout, TransportError) as exc:
        error = exc
    elapsed = time.monotonic() - started
    record(faults_injected=1, max_overshoot_ms=max(0.0, (elapsed - T) * 1000))
    if error is None and job is not None and job.done:
        result = job.result
        assert result.state is JobState.ERROR and result.error, f"{what}: {result}"
        error = JobHarnessError(result.error)
    assert error is not None, f"{what}: the wait on a 60 s job ended without an error"
    assert str(error), f"{what}: an error without a message"
    assert elapsed < T + SLACK, f"{what}: ended after {elapsed:.2f} s: {error}"
    record(faults_survived=1)


# -- one long job per backend, through a proxy ---------------------------------------------------


@pytest.fixture
def sandbox_long(
    sandbox_server: Target, fault_proxy: Callable[..., FaultProxy]
) -> Iterator[tuple[FaultProxy, Job]]:
    proxy = fault_proxy(address(sandbox_server.url), delay=3 * T)
    with Sandbox(proxy.url, request_timeout=30) as client:
        job = client.start({"commands": ["sleep 30"]})
        yield proxy, job


@pytest.fixture
def saltant_long(
    saltant_server: Target,
    saltant: SaltantClient,
    sleep_queue: tuple[int, int],
    fault_proxy: Callable[..., FaultProxy],
) -> Iterator[tuple[FaultProxy, Job]]:
    proxy = fault_proxy(address(saltant_server.url), delay=3 * T)
    through = Target(SALTANT_TARGET, {**saltant_server.info, "url": proxy.url}, "proxy")
    with saltant_client(through, default_timeout=30) as client:
        job = client.executable_task_instances.start(*sleep_queue, name="reliability")
        yield proxy, job
    saltant.executable_task_instances.terminate(job.id)


@pytest.fixture
def harp_long(
    harp_server: HarpTargets, harp: HarpCaller, fault_proxy: Callable[..., FaultProxy]
) -> Iterator[tuple[FaultProxy, Job]]:
    assert harp_server.dispatcher is not None
    proxy = fault_proxy(harp_server.dispatcher, "lines", delay=3 * T)
    caller = HarpCaller(*proxy.address, request_timeout=30, wait_timeout=60)
    call = caller.submit(harp_server.host_name, "sleep", [60])
    yield proxy, call
    harp.job(call.id).cancel()


@pytest.fixture
def densefog_long(
    densefog_app: Target, fault_proxy: Callable[..., FaultProxy]
) -> Iterator[tuple[FaultProxy, Any]]:
    proxy = fault_proxy(address(densefog_app.url), delay=3 * T)
    with densefog_client(densefog_app, job_table=None) as direct:
        # a job no worker can run stays running for good, and holds no worker thread
        job = direct.submit("RunJob", {"job": "NoSuchJobAction"})
    with densefog_client(densefog_app, job_table=None, request_timeout=30) as client:
        client._transport.base_url = proxy.url
        yield proxy, client.job(job.id)


BACKENDS = ["sandbox", "saltant", "harp", "densefog"]


@pytest.mark.parametrize("fault", PERSISTENT)
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_wait_ends_in_time_whatever_the_fault(
    request: pytest.FixtureRequest, backend: str, fault: str
) -> None:
    proxy, job = request.getfixturevalue(f"{backend}_long")
    proxy.switch(fault)
    for _ in range(ROUNDS):
        bounded_wait(lambda: job.wait(T), f"{backend} wait, {fault}", job)


@pytest.mark.parametrize("fault", [f for f in FAULTS if f != "refuse"])
def test_a_harpd_call_ends_in_time_whatever_the_fault(
    harp_server: HarpTargets, fault_proxy: Callable[..., FaultProxy], fault: str
) -> None:
    info = harp_server.harpd_target()
    proxy = fault_proxy((info.host, info.port), "lines", delay=3 * T)
    server = HarpServer(
        "127.0.0.1", info.user, info.password, proxy.port, ca_file=info.ca_file, request_timeout=T
    )
    server.ping()
    proxy.switch(fault)
    bounded_wait(server.ping, f"harpd call, {fault}")


# -- a fault for a moment: the wait survives it --------------------------------------------------


def short_sandbox(target: Target, proxy: FaultProxy) -> Callable[[], Job]:
    client = Sandbox(proxy.url, request_timeout=2)
    return lambda: client.start({"commands": ["sleep 0.5"]})


@pytest.mark.parametrize("fault", TRANSIENT)
def test_a_wait_survives_a_fault_for_a_moment(
    sandbox_server: Target, fault_proxy: Callable[..., FaultProxy], fault: str
) -> None:
    proxy = fault_proxy(address(sandbox_server.url), delay=0.5)
    with Sandbox(proxy.url, request_timeout=2) as client:
        job = client.start({"commands": ["sleep 0.5"]})
        proxy.switch(fault, count=1)
        record(faults_injected=1)
        # the background execution is the submission itself; what it meets decides its fate
        try:
            result = job.wait(15)
        except JobHarnessError as exc:
            pytest.fail(f"a wait did not survive one {fault}: {exc}")
        assert result.state in (JobState.SUCCEEDED, JobState.ERROR), result
        if result.state is JobState.ERROR:  # the fault hit the execution's own request
            assert result.error
        record(faults_survived=1)


@pytest.mark.parametrize("fault", TRANSIENT)
def test_a_saltant_wait_survives_a_fault_for_a_moment(
    saltant_server: Target,
    saltant: SaltantClient,
    fault_proxy: Callable[..., FaultProxy],
    fault: str,
) -> None:
    quick = saltant.executable_task_types.create(f"rel-true-{fault}-{time.time_ns()}", "/bin/true")
    whitelist = saltant.task_whitelists.create(
        f"rel-true-{time.time_ns()}", whitelisted_executable_task_types=[quick.id]
    )
    queue = saltant.task_queues.create(f"rel-true-{time.time_ns()}", whitelists=[whitelist.id])
    proxy = fault_proxy(address(saltant_server.url), delay=0.5)
    through = Target(SALTANT_TARGET, {**saltant_server.info, "url": proxy.url}, "proxy")
    with saltant_client(through, default_timeout=2) as client:
        job = client.executable_task_instances.start(quick.id, queue.id, name="reliability")
        proxy.switch(fault, count=1)
        record(faults_injected=1)
        try:
            result = job.wait(20)
        except JobHarnessError as exc:
            pytest.fail(f"a saltant wait did not survive one {fault}: {exc}")
        assert result.state is JobState.SUCCEEDED, result
        record(faults_survived=1)
