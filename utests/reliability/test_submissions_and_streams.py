"""No job is submitted twice, and no stream packet is lost or repeated, whatever the fault.

A submission meets one fault (its answer lost, held, cut, doubled, late, a
503 ...); afterwards the server is asked how many jobs it made: never more
than one. A harp follow meets resets, cuts and doubled chunks in the middle
of its stream; it must still yield every packet exactly once, in order.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from jobharness.backends.harp import HarpCaller
from jobharness.backends.harp.target import HarpTargets
from jobharness.backends.saltant import SaltantClient
from jobharness.backends.saltant.target import SALTANT_TARGET, saltant_client
from jobharness.backends.sandbox import Sandbox
from jobharness.errors import JobHarnessError
from jobharness.faultproxy import FAULTS, FaultProxy
from jobharness.targets import Target

from .conftest import scaled
from .figures import record
from .test_fault_matrix import address

SUBMISSION_FAULTS = [fault for fault in FAULTS if fault not in ("refuse", "endless", "drip")]
STREAM_FAULTS = ["reset", "truncate", "duplicate", "half", "error"]
PACKETS = scaled(40, 200)


@pytest.mark.parametrize("fault", SUBMISSION_FAULTS)
def test_a_sandbox_execution_runs_at_most_once(
    sandbox_server: Target,
    fault_proxy: Callable[..., FaultProxy],
    tmp_path: Path,
    fault: str,
) -> None:
    marks = tmp_path / "runs.txt"
    proxy = fault_proxy(address(sandbox_server.url), delay=0.3)
    with Sandbox(proxy.url, request_timeout=3) as client:
        proxy.switch(fault, count=1)
        try:
            client.execute({"commands": [f"echo run >> {marks}"]})
        except JobHarnessError as exc:
            assert str(exc)
    runs = len(marks.read_text().splitlines()) if marks.exists() else 0
    record(submissions_checked=1, duplicate_submissions=max(0, runs - 1))
    assert runs <= 1, f"{fault}: the execution ran {runs} times"


@pytest.mark.parametrize("fault", SUBMISSION_FAULTS)
def test_a_saltant_instance_is_created_at_most_once(
    saltant_server: Target,
    saltant: SaltantClient,
    sleep_queue: tuple[int, int],
    fault_proxy: Callable[..., FaultProxy],
    fault: str,
) -> None:
    name = f"rel-once-{uuid.uuid4().hex[:12]}"
    proxy = fault_proxy(address(saltant_server.url), delay=0.3)
    through = Target(SALTANT_TARGET, {**saltant_server.info, "url": proxy.url}, "proxy")
    with saltant_client(through, default_timeout=3) as client:
        proxy.switch(fault, count=1)
        try:
            client.executable_task_instances.create(*sleep_queue, name=name)
        except JobHarnessError as exc:
            assert str(exc)
    made = saltant.executable_task_instances.list({"name": name})
    for instance in made:
        saltant.executable_task_instances.terminate(instance.uuid)
    record(submissions_checked=1, duplicate_submissions=max(0, len(made) - 1))
    assert len(made) <= 1, f"{fault}: {len(made)} instances were made"


@pytest.mark.parametrize("fault", SUBMISSION_FAULTS)
def test_a_harp_call_is_submitted_at_most_once(
    harp_server: HarpTargets,
    harp: HarpCaller,
    fault_proxy: Callable[..., FaultProxy],
    tmp_path: Path,
    fault: str,
) -> None:
    assert harp_server.dispatcher is not None
    proxy = fault_proxy(harp_server.dispatcher, "lines", delay=0.3, keep_requests=True)
    caller = HarpCaller(*proxy.address, request_timeout=3, wait_timeout=10)
    marker = f"rel-{uuid.uuid4().hex[:12]}"
    proxy.switch(fault, count=1)
    try:
        caller.submit(harp_server.host_name, "echo", [marker]).wait(10)
    except JobHarnessError as exc:
        assert str(exc)
    # the dispatcher keeps no list of calls: count the submissions that reached it
    seen = [data for data in proxy.relayed_requests if marker.encode() in data]
    record(submissions_checked=1, duplicate_submissions=max(0, len(seen) - 1))
    assert len(seen) <= 1, f"{fault}: the call was submitted {len(seen)} times"


@pytest.mark.parametrize("fault", STREAM_FAULTS)
def test_a_followed_stream_loses_and_repeats_no_packet(
    harp_server: HarpTargets, fault_proxy: Callable[..., FaultProxy], fault: str
) -> None:
    assert harp_server.dispatcher is not None
    proxy = fault_proxy(harp_server.dispatcher, "lines")
    caller = HarpCaller(*proxy.address, request_timeout=5, wait_timeout=60)
    call = caller.local.count(PACKETS, 0.01)
    proxy.every(3, fault)  # every third request (a resume, say) meets the fault
    numbers = [n for n, _ in call.follow(since=0, numbered=True, timeout=60)]
    proxy.switch("pass")
    lost = len(set(range(PACKETS)) - set(numbers))
    repeated = len(numbers) - len(set(numbers))
    record(
        faults_injected=sum(proxy.injected.values()),
        faults_survived=sum(proxy.injected.values()),
        packets_expected=PACKETS,
        packets_lost=lost,
        packets_repeated=repeated,
    )
    assert numbers == list(range(PACKETS)), f"{fault}: lost {lost}, repeated {repeated}"
