"""Fixtures of the saltant utests: a provisioned sleeper task on the session's embedded server.

The server and the ``saltant`` client come from jobharness's own pytest plugin.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from jobharness.backends.saltant import ExecutableTaskType, SaltantClient, TaskQueue
from pytest_plugin._common import ServerTarget

from .helpers import SLEEPER, Requests, unique


@dataclass
class Provisioned:
    """A task type running ``sleeper.py`` and a queue that accepts it."""

    task_type: ExecutableTaskType
    queue: TaskQueue


@pytest.fixture(scope="session")
def provisioned(saltant: SaltantClient) -> Provisioned:
    """The sleeper task type (arguments seconds, exit_code) and a queue for it."""
    task_type = saltant.executable_task_types.create(
        unique("sleeper"),
        f"{sys.executable} {SLEEPER}",
        required_arguments=["seconds", "exit_code"],
        required_arguments_default_values={"seconds": 0, "exit_code": 0},
    )
    whitelist = saltant.task_whitelists.create(
        unique("wl"), whitelisted_executable_task_types=[task_type.id]
    )
    queue = saltant.task_queues.create(unique("q"), whitelists=[whitelist.id])
    return Provisioned(task_type, queue)


@pytest.fixture
def counted(saltant_server: ServerTarget) -> Iterator[tuple[SaltantClient, Requests]]:
    """A fresh client of the session's server whose requests are recorded."""
    recorder = Requests()
    client = SaltantClient(
        saltant_server.url, saltant_server.info["token"], test_if_authenticated=False
    )
    client.session.hooks["response"].append(recorder.hook)
    yield client, recorder
    client.close()
