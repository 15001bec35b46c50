"""The saltant backend: an API client with saltant-py's surface, and task instances as jobs.

>>> client = SaltantClient("http://127.0.0.1:8000/api/", token)     # doctest: +SKIP
>>> job = client.executable_task_instances.start(type_id, queue_id)  # doctest: +SKIP
>>> job.wait(timeout=30).raise_for_state()                           # doctest: +SKIP

See ``docs/saltant.md`` for the guide and the differences from saltant-py.

Everything here is imported on first use (see :mod:`jobharness.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jobharness.lazy import lazy_exports

if TYPE_CHECKING:
    from jobharness.backends.saltant.bodies import encode_filters
    from jobharness.backends.saltant.client import (
        ENV_TOKEN,
        ENV_URL,
        SALTANT_POLL,
        SaltantClient,
        from_env,
    )
    from jobharness.backends.saltant.errors import (
        AuthenticationError,
        BadEnvironmentError,
        BadHttpRequestError,
        SaltantError,
        SaltantNotFound,
        SaltantPermissionDenied,
    )
    from jobharness.backends.saltant.job import STATE_MAP, SaltantJob, map_state
    from jobharness.backends.saltant.managers import (
        ContainerTaskInstanceManager,
        ContainerTaskTypeManager,
        ExecutableTaskInstanceManager,
        ExecutableTaskTypeManager,
        TaskQueueManager,
        TaskWhitelistManager,
        UserManager,
    )
    from jobharness.backends.saltant.models import (
        ContainerTaskInstance,
        ContainerTaskType,
        ExecutableTaskInstance,
        ExecutableTaskType,
        TaskInstance,
        TaskQueue,
        TaskType,
        TaskWhitelist,
        User,
    )
    from jobharness.backends.saltant.protocol import FINISHED_STATES, api_root

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "AuthenticationError": "jobharness.backends.saltant.errors",
        "BadEnvironmentError": "jobharness.backends.saltant.errors",
        "BadHttpRequestError": "jobharness.backends.saltant.errors",
        "ContainerTaskInstance": "jobharness.backends.saltant.models",
        "ContainerTaskInstanceManager": "jobharness.backends.saltant.managers",
        "ContainerTaskType": "jobharness.backends.saltant.models",
        "ContainerTaskTypeManager": "jobharness.backends.saltant.managers",
        "ENV_TOKEN": "jobharness.backends.saltant.client",
        "ENV_URL": "jobharness.backends.saltant.client",
        "ExecutableTaskInstance": "jobharness.backends.saltant.models",
        "ExecutableTaskInstanceManager": "jobharness.backends.saltant.managers",
        "ExecutableTaskType": "jobharness.backends.saltant.models",
        "ExecutableTaskTypeManager": "jobharness.backends.saltant.managers",
        "FINISHED_STATES": "jobharness.backends.saltant.protocol",
        "SALTANT_POLL": "jobharness.backends.saltant.client",
        "STATE_MAP": "jobharness.backends.saltant.job",
        "SaltantClient": "jobharness.backends.saltant.client",
        "SaltantError": "jobharness.backends.saltant.errors",
        "SaltantJob": "jobharness.backends.saltant.job",
        "SaltantNotFound": "jobharness.backends.saltant.errors",
        "SaltantPermissionDenied": "jobharness.backends.saltant.errors",
        "TaskInstance": "jobharness.backends.saltant.models",
        "TaskQueue": "jobharness.backends.saltant.models",
        "TaskQueueManager": "jobharness.backends.saltant.managers",
        "TaskType": "jobharness.backends.saltant.models",
        "TaskWhitelist": "jobharness.backends.saltant.models",
        "TaskWhitelistManager": "jobharness.backends.saltant.managers",
        "User": "jobharness.backends.saltant.models",
        "UserManager": "jobharness.backends.saltant.managers",
        "api_root": "jobharness.backends.saltant.protocol",
        "encode_filters": "jobharness.backends.saltant.bodies",
        "from_env": "jobharness.backends.saltant.client",
        "map_state": "jobharness.backends.saltant.job",
    },
)

__all__ = [
    "ENV_TOKEN",
    "ENV_URL",
    "FINISHED_STATES",
    "SALTANT_POLL",
    "STATE_MAP",
    "AuthenticationError",
    "BadEnvironmentError",
    "BadHttpRequestError",
    "ContainerTaskInstance",
    "ContainerTaskInstanceManager",
    "ContainerTaskType",
    "ContainerTaskTypeManager",
    "ExecutableTaskInstance",
    "ExecutableTaskInstanceManager",
    "ExecutableTaskType",
    "ExecutableTaskTypeManager",
    "SaltantClient",
    "SaltantError",
    "SaltantJob",
    "SaltantNotFound",
    "SaltantPermissionDenied",
    "TaskInstance",
    "TaskQueue",
    "TaskQueueManager",
    "TaskType",
    "TaskWhitelist",
    "TaskWhitelistManager",
    "User",
    "UserManager",
    "api_root",
    "encode_filters",
    "from_env",
    "map_state",
]
