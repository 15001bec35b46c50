"""Fixtures of the reliability suites: the level of the run, fault proxies, a saltant queue.

``JOBHARNESS_RELIABILITY=full`` (``./dev.sh reliability``) tries more: more
fuzz examples, more interrupted runs at random moments, more rounds of
faults. The default (``bounded``, what CI runs) keeps each suite to a
minute or two.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest

from jobharness.backends.densefog.target import DENSEFOG_TARGET
from jobharness.backends.saltant import SaltantClient
from jobharness.faultproxy import FaultProxy
from jobharness.targets import Target
from pytest_plugin._common import open_target

from ..densefog.conftest import FAST

FULL = os.environ.get("JOBHARNESS_RELIABILITY", "bounded") == "full"


def scaled(bounded: int, full: int) -> int:
    """``full`` in a full reliability run, ``bounded`` otherwise."""
    return full if FULL else bounded


@pytest.fixture
def fault_proxy() -> Iterator[Callable[..., FaultProxy]]:
    """Start fault proxies in front of servers; all closed after the test."""
    started: list[FaultProxy] = []

    def start(upstream: tuple[str, int], protocol: str = "http", **options: object) -> FaultProxy:
        proxy = FaultProxy(upstream, protocol, **options)  # type: ignore[arg-type]
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        proxy.close()


@pytest.fixture(scope="session")
def sleep_queue(saltant: SaltantClient) -> tuple[int, int]:
    """A task type that sleeps (``/bin/sleep 60``) and a queue that runs it."""
    run = uuid.uuid4().hex[:10]
    task_type = saltant.executable_task_types.create(f"rel-sleep-{run}", "/bin/sleep 60")
    whitelist = saltant.task_whitelists.create(
        f"rel-{run}", whitelisted_executable_task_types=[task_type.id]
    )
    queue = saltant.task_queues.create(f"rel-{run}", whitelists=[whitelist.id])
    return task_type.id, queue.id


@pytest.fixture(scope="session")
def densefog_app(pytestconfig: pytest.Config) -> Iterator[Target]:
    """The embedded densefog service with the test app (``RunJob``) and a fast worker."""
    with open_target(pytestconfig, DENSEFOG_TARGET, **FAST) as target:
        yield target
