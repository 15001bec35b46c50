"""toyqueue's pytest fixtures, registered by jobharness from the backend's spec.

``toyqueue_server`` (session) is the configured server or an embedded one;
``toyqueue`` (session) its client; ``toyqueue_job`` (function) starts jobs
whose names carry the run id and cancels what the test left running.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from jobharness.targets import Target
from jobharness_toyqueue.client import ToyQueueClient, toyqueue_client
from jobharness_toyqueue.job import ToyJob
from jobharness_toyqueue.target import TOYQUEUE_TARGET
from pytest_plugin._common import JobRecorder, caller_id, open_target, wait_timeout


@pytest.fixture(scope="session")
def toyqueue_server(pytestconfig: pytest.Config) -> Iterator[Target]:
    """The toyqueue server of the session (``--toyqueue-url``, else embedded)."""
    with open_target(pytestconfig, TOYQUEUE_TARGET) as target:
        yield target


@pytest.fixture(scope="session")
def toyqueue(toyqueue_server: Target) -> Iterator[ToyQueueClient]:
    """A client of the session's toyqueue server."""
    client = toyqueue_client(toyqueue_server)
    yield client
    client.close()


@pytest.fixture
def toyqueue_job(
    request: pytest.FixtureRequest, toyqueue: ToyQueueClient, jobharness_jobs: JobRecorder
) -> Callable[..., ToyJob]:
    """``toyqueue_job(argv, name="toy")`` starts a job; what is left is cancelled at teardown."""
    timeout = wait_timeout(request)

    def start(argv: list[str], name: str = "toy") -> ToyJob:
        job = toyqueue.start(argv, f"{name}@{caller_id(request)}")
        job.default_timeout = timeout
        jobharness_jobs.track(job)
        return job

    return start
