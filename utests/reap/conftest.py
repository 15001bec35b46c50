"""Fixtures of the reaping utests: a sleeper task on the session's embedded saltant server.

The killed runs are subprocesses pointed at this server, as at a real one
that outlives them; the server's token reaches them through the environment.
"""

from __future__ import annotations

import os
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from jobharness.backends.saltant import SaltantClient
from jobharness.targets import Target

SLEEPER = Path(__file__).parents[1] / "saltant" / "sleeper.py"


def unique(prefix: str) -> str:
    """A name (or run id) no other test, worker or earlier run uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@dataclass
class Sleeper:
    """A task type running ``sleeper.py``, a queue for it, and the server's environment."""

    type_id: int
    queue_id: int
    env: dict[str, str]


@pytest.fixture(scope="session")
def sleeper(saltant_server: Target, saltant: SaltantClient) -> Sleeper:
    """The sleeper task type and a queue, and env variables that point a run at the server."""
    task_type = saltant.executable_task_types.create(
        unique("reap-sleeper"),
        f"{sys.executable} {SLEEPER}",
        required_arguments=["seconds", "exit_code"],
        required_arguments_default_values={"seconds": 0, "exit_code": 0},
    )
    whitelist = saltant.task_whitelists.create(
        unique("reap-wl"), whitelisted_executable_task_types=[task_type.id]
    )
    queue = saltant.task_queues.create(unique("reap-q"), whitelists=[whitelist.id])
    env = {
        **os.environ,
        "JOBHARNESS_SALTANT_URL": saltant_server.url,
        "JOBHARNESS_SALTANT_TOKEN": str(saltant_server.info["token"]),
        "TYPE_ID": str(task_type.id),
        "QUEUE_ID": str(queue.id),
    }
    for name in ("JOBHARNESS_RUN_ID", "CI_JOB_ID", "GITHUB_RUN_ID", "BUILD_TAG"):
        env.pop(name, None)
    return Sleeper(task_type.id, queue.id, env)
