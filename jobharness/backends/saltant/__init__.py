"""The saltant backend: an API client with saltant-py's surface, and task instances as jobs.

>>> client = SaltantClient("http://127.0.0.1:8000/api/", token)     # doctest: +SKIP
>>> job = client.executable_task_instances.start(type_id, queue_id)  # doctest: +SKIP
>>> job.wait(timeout=30).raise_for_state()                           # doctest: +SKIP

See ``docs/saltant.md`` for the guide and the differences from saltant-py.
"""

from jobharness.backends.saltant.client import (
    ENV_TOKEN,
    ENV_URL,
    SALTANT_POLL,
    SaltantClient,
    api_root,
    from_env,
)
from jobharness.backends.saltant.errors import (
    AuthenticationError,
    BadEnvironmentError,
    BadHttpRequestError,
    SaltantError,
    SaltantNotFound,
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
    encode_filters,
)
from jobharness.backends.saltant.models import (
    FINISHED_STATES,
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
