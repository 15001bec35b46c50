"""pytest fixtures for densefog-based services.

Settings (CLI > env > ini > default):

* ``--densefog-url`` (``JOBHARNESS_DENSEFOG_URL``, ini ``densefog_url``): the
  service to use; without it the embedded demo service runs for the session;
* ``--densefog-headers`` (secret, masked in the header): auth headers;
* ``--densefog-job-table`` (secret): the job table's DSN, to read jobs directly;
* ``--densefog-jobs-action``: the action describing jobs (``none`` if there is none);
* for the embedded service: ``--densefog-db`` (``sqlite``, ``mariadb`` or a DSN),
  ``--densefog-app`` (a module adding actions and job functions) and
  ``--densefog-worker-tick`` (seconds; densefog's worker ticks every 2).

Fixtures:

* ``densefog_server`` (session): the :class:`~jobharness.targets.Target`;
* ``densefog`` (session): a :class:`~jobharness.backends.densefog.DensefogClient`;
* ``densefog_job`` (function): calls actions that make jobs and tracks the jobs
  (awaited at teardown within the cleanup time, listed in a failing test's
  report, JUnit properties): ``densefog_job("CreateInstances", count=1)``;
* ``densefog_resources`` (function): calls create actions and tracks what they
  made (deleted at teardown once no longer busy) and their jobs:
  ``densefog_resources("instance", count=2).ids``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import pytest

from jobharness.backends.densefog.settings import ALL_SETTINGS, DENSEFOG_URL
from pytest_plugin._common import (
    TIMEOUT,
    JobRecorder,
    add_setting,
    get_setting,
    header_lines,
    open_target,
    wait_timeout,
)

if TYPE_CHECKING:
    from jobharness.backends.densefog import (
        Created,
        DensefogClient,
        DensefogJob,
        DensefogResources,
        ResourceType,
    )
    from jobharness.targets import Target


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the densefog options and ini names."""
    for setting in ALL_SETTINGS:
        add_setting(parser, setting)


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say which densefog service the run uses (headers and DSNs masked)."""
    return header_lines("densefog", config, ALL_SETTINGS, (DENSEFOG_URL,))


@pytest.fixture(scope="session")
def densefog_server(pytestconfig: pytest.Config) -> Iterator[Target]:
    """The densefog service of this session: the configured URL, or the embedded demo.

    ``info["job_table"]`` holds the job table's DSN when known.
    """
    from jobharness.backends.densefog.target import DENSEFOG_TARGET

    with open_target(pytestconfig, DENSEFOG_TARGET) as target:
        yield target


@pytest.fixture(scope="session")
def densefog(densefog_server: Target, pytestconfig: pytest.Config) -> Iterator[DensefogClient]:
    """A client of the session's service (its job table read directly when known)."""
    from jobharness.backends.densefog.target import densefog_client

    default = get_setting(pytestconfig, TIMEOUT).value
    with densefog_client(densefog_server, wait_timeout=float(default or 60)) as client:
        yield client


class DensefogJobFactory:
    """Calls actions that make jobs for one test and tracks the jobs (see :func:`densefog_job`)."""

    def __init__(self, client: DensefogClient, recorder: JobRecorder, timeout: float) -> None:
        self.client = client
        self.recorder = recorder
        self.timeout = timeout

    def __call__(
        self, action: str, params: Mapping[str, Any] | None = None, /, **more: Any
    ) -> DensefogJob:
        """Call ``action`` (its answer must have a ``jobId``); return the tracked job."""
        job = self.client.submit(action, params, **more)
        job.default_timeout = self.timeout
        self.recorder.track(job)
        return job

    def get(self, job_id: str) -> DensefogJob:
        """A handle on an existing job (not tracked: this test did not make it)."""
        job = self.client.job(job_id)
        job.default_timeout = self.timeout
        return job


@pytest.fixture
def densefog_job(
    request: pytest.FixtureRequest, densefog: DensefogClient, jobharness_jobs: JobRecorder
) -> DensefogJobFactory:
    """Call actions that make jobs; the jobs are tracked for this test.

    ``densefog_job(action, params=None, /, **more)`` returns a
    :class:`~jobharness.backends.densefog.DensefogJob` whose wait timeout is the
    ``jobharness(timeout=...)`` marker or the session default. densefog cannot
    cancel a job: at teardown the unfinished ones are waited for within the
    cleanup time, and reported if they still run.
    """
    return DensefogJobFactory(densefog, jobharness_jobs, wait_timeout(request))


class DensefogResourceFactory:
    """Calls create actions for one test and tracks what they made (:func:`densefog_resources`)."""

    def __init__(self, client: DensefogClient, recorder: JobRecorder, timeout: float) -> None:
        self.client = client
        self.recorder = recorder
        self.timeout = timeout

    def __call__(
        self,
        rtype: str | ResourceType,
        params: Mapping[str, Any] | None = None,
        /,
        *,
        action: str | None = None,
        **more: Any,
    ) -> Created:
        """Call the create action of ``rtype`` (default ``Create<Things>``); return what it made.

        The resources are deleted at teardown once they are no longer busy; the
        answer's job is tracked too.
        """
        created = self.client.create_resources(rtype, params, action=action, **more)
        self.recorder.track(created.resources)
        if created.job is not None:
            created.job.default_timeout = self.timeout
            self.recorder.track(created.job)
        return created

    def track(self, rtype: str | ResourceType, ids: list[str]) -> DensefogResources:
        """Delete these resources at teardown, as if this test made them."""
        found = self.client.resources(rtype, ids)
        self.recorder.track(found)
        return found


@pytest.fixture
def densefog_resources(
    request: pytest.FixtureRequest, densefog: DensefogClient, jobharness_jobs: JobRecorder
) -> DensefogResourceFactory:
    """Create resources tracked for this test: deleted at teardown, also after a failure.

    ``densefog_resources(rtype, params=None, /, *, action=None, **more)`` returns a
    :class:`~jobharness.backends.densefog.Created` (``.ids``, ``.resources``,
    ``.job``, ``.data``); ``densefog_resources.track(rtype, ids)`` adopts
    resources made otherwise.
    """
    return DensefogResourceFactory(densefog, jobharness_jobs, wait_timeout(request))
