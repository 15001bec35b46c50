"""densefog waits end by their deadline, whatever the service does after the job was made."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest

from jobharness.backends.densefog.target import densefog_client
from jobharness.errors import TransportError, WaitTimeout
from jobharness.targets import Target
from jobharness.waiting import wait_for
from utests.timing import assert_ended_by

from ..faults.misbehaving import MODES

T = 0.6


@pytest.mark.parametrize("mode", MODES)
def test_job_and_resource_waits_end_by_their_timeout(
    densefog_server: Target, misbehaving: Callable[..., Any], mode: str
) -> None:
    parts = urlsplit(densefog_server.url)
    proxy = misbehaving((parts.hostname, parts.port))
    with densefog_client(densefog_server, job_table=None) as direct:
        # a job no worker can run stays running for good, and holds no worker thread
        job = direct.submit("RunJob", {"job": "NoSuchJobAction"})
    with densefog_client(densefog_server, job_table=None, request_timeout=30) as client:
        client._transport.base_url = proxy.url
        through = client.job(job.id)
        resources = client.resources("instance", ["inst-none"])
        proxy.switch(mode)
        for wait in (
            lambda: through.wait(T),
            lambda: resources.wait(T),
            lambda: wait_for([through], T),
        ):
            started = time.monotonic()
            with pytest.raises((WaitTimeout, TransportError)):
                wait()
            assert_ended_by(time.monotonic() - started, T, mode)
