"""Rows as the API shows them: upstream's field names and field order, nothing more.

The SDK builds its models with ``Model(**json)``, so an extra field would break it.
"""

from __future__ import annotations

from typing import Any

from jobharness.servers.saltant.clock import to_api
from jobharness.servers.saltant.kinds import (
    CONTAINER,
    EXECUTABLE,
    TASK_QUEUES,
    TASK_WHITELISTS,
    USERS,
)
from jobharness.servers.saltant.store import Row

_TYPE_FIELDS = (
    "id",
    "user",
    "name",
    "description",
    "datetime_created",
    "command_to_run",
    "environment_variables",
    "required_arguments",
    "required_arguments_default_values",
)
FIELDS: dict[str, tuple[str, ...]] = {
    USERS: ("username", "email"),
    EXECUTABLE.types: (*_TYPE_FIELDS, "json_file_option"),
    CONTAINER.types: (
        *_TYPE_FIELDS,
        "logs_path",
        "results_path",
        "container_image",
        "container_type",
    ),
    TASK_QUEUES: (
        "id",
        "user",
        "name",
        "description",
        "private",
        "runs_executable_tasks",
        "runs_docker_container_tasks",
        "runs_singularity_container_tasks",
        "active",
        "whitelists",
    ),
    TASK_WHITELISTS: (
        "id",
        "user",
        "name",
        "description",
        "whitelisted_container_task_types",
        "whitelisted_executable_task_types",
    ),
}
_INSTANCE_FIELDS = (
    "uuid",
    "user",
    "name",
    "state",
    "datetime_created",
    "datetime_finished",
    "arguments",
    "task_queue",
    "task_type",
)
FIELDS.update({kind.instances: _INSTANCE_FIELDS for kind in (EXECUTABLE, CONTAINER)})
_DATETIMES = frozenset({"datetime_created", "datetime_finished"})


def serialize(collection: str, row: Row) -> dict[str, Any]:
    """``row`` of ``collection`` as its JSON object."""
    return {
        name: to_api(row[name]) if name in _DATETIMES else row[name] for name in FIELDS[collection]
    }
