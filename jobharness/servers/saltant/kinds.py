"""The static vocabulary of the saltant API: states, task kinds, resource names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

CREATED: Final = "created"
PUBLISHED: Final = "published"
RUNNING: Final = "running"
SUCCESSFUL: Final = "successful"
FAILED: Final = "failed"
TERMINATED: Final = "terminated"

STATES: Final = (CREATED, PUBLISHED, RUNNING, SUCCESSFUL, FAILED, TERMINATED)
FINISHED_STATES: Final = frozenset({SUCCESSFUL, FAILED, TERMINATED})
# Only these two stamp ``datetime_finished``; ``terminated`` leaves it null.
STAMPED_STATES: Final = frozenset({SUCCESSFUL, FAILED})
STATE_MAX_LENGTH: Final = 10

DOCKER: Final = "docker"
SINGULARITY: Final = "singularity"
CONTAINER_TYPES: Final = (DOCKER, SINGULARITY)

USERS: Final = "users"
TASK_QUEUES: Final = "taskqueues"
TASK_WHITELISTS: Final = "taskwhitelists"


@dataclass(frozen=True)
class TaskKind:
    """One of the two kinds of task: its URL names (also its table names)."""

    name: str

    @property
    def types(self) -> str:
        """The collection of task types of this kind."""
        return f"{self.name}tasktypes"

    @property
    def instances(self) -> str:
        """The collection of task instances of this kind."""
        return f"{self.name}taskinstances"

    @property
    def whitelist_field(self) -> str:
        """The whitelist field that lists task types of this kind."""
        return f"whitelisted_{self.name}_task_types"


EXECUTABLE: Final = TaskKind("executable")
CONTAINER: Final = TaskKind("container")
KINDS: Final = (EXECUTABLE, CONTAINER)

# The order of the API root map (the order the upstream router registers them).
ROOT_COLLECTIONS: Final = (
    USERS,
    CONTAINER.instances,
    CONTAINER.types,
    EXECUTABLE.instances,
    EXECUTABLE.types,
    TASK_QUEUES,
    TASK_WHITELISTS,
)
