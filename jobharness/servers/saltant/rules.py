"""The model rules upstream checks when it saves task types and task instances.

They return the reason as text (shown by the caller as a non-field error,
stringified like a Python list as upstream does) or normalised values.
"""

from __future__ import annotations

import json
from typing import Any

from jobharness.servers.saltant.kinds import DOCKER, EXECUTABLE, TaskKind
from jobharness.servers.saltant.store import Row


class RuleError(Exception):
    """A model rule failed; the message is upstream's."""


def _decoded(value: Any, default: Any) -> Any:
    """A JSON field value as the model sees it: null means the default, text is decoded."""
    if value is None:
        return default
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise RuleError(f"'{value}' is not valid JSON!") from None
    return value


def check_type_arguments(
    environment_variables: Any, required_arguments: Any, defaults: Any
) -> tuple[list[Any], list[Any], dict[str, Any]]:
    """Validate a task type's JSON fields; return them decoded.

    The default values must be a JSON object whose keys are a subset of the
    required arguments; the other two must be JSON arrays.
    """
    env = _decoded(environment_variables, [])
    required = _decoded(required_arguments, [])
    values = _decoded(defaults, {})
    if not isinstance(env, list):
        raise RuleError(f"'{env}' is not a valid JSON array!")
    if not isinstance(required, list):
        raise RuleError(f"'{required}' is not a valid JSON array!")
    if not isinstance(values, dict):
        raise RuleError(f"'{values}' is not a valid JSON dictionary!")
    try:
        subset = set(values).issubset(set(required))
    except TypeError:  # unhashable entries in required_arguments
        subset = False
    if not subset:
        raise RuleError("default arguments not a subset of required arguments")
    return env, required, values


def _accepts(kind: TaskKind, task_type: Row, queue: Row) -> str | None:
    """Why ``queue`` does not run tasks of ``task_type``'s kind, or ``None``."""
    name = queue["name"]
    if kind == EXECUTABLE:
        return (
            None
            if queue["runs_executable_tasks"]
            else f"Queue {name} does not accept executable tasks"
        )
    if task_type["container_type"] == DOCKER:
        if not queue["runs_docker_container_tasks"]:
            return f"Queue {name} does not accept Docker container tasks"
    elif not queue["runs_singularity_container_tasks"]:
        return f"Queue {name} does not accept Singularity container tasks"
    return None


def check_instance(
    kind: TaskKind,
    arguments: Any,
    owner: str | None,
    task_type: Row,
    queue: Row,
    whitelists: list[Row],
) -> dict[str, Any]:
    """Validate a task instance like upstream's model does; return its filled-in arguments.

    ``whitelists`` are the queue's whitelist rows. Missing required
    arguments are filled in from the type's defaults; extra keys are kept.
    """
    if arguments is None:
        arguments = {}
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except ValueError:
            raise RuleError(f"{arguments} is not valid JSON!") from None
    if not isinstance(arguments, dict):
        raise RuleError(f"'{arguments}' is not a valid JSON dictionary!")
    if not queue["active"]:
        raise RuleError(f"Queue {queue['name']} is not active")
    if queue["private"] and owner != queue["user"]:
        raise RuleError(f"{owner} is not authorized to use the queue {queue['name']}")
    field = kind.whitelist_field
    if not any(task_type["id"] in whitelist[field] for whitelist in whitelists):
        raise RuleError(f"Queue {queue['name']} has not whitelisted task type {task_type['name']}")
    refusal = _accepts(kind, task_type, queue)
    if refusal:
        raise RuleError(refusal)
    filled = dict(arguments)
    defaults = task_type["required_arguments_default_values"]
    for name in task_type["required_arguments"]:
        if name not in filled:
            if name not in defaults:
                raise RuleError(f"required argument '{name}' not provided!")
            filled[name] = defaults[name]
    return filled
