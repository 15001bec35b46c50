"""The bodies and query parameters the saltant managers send, checked before they are sent.

Every field is checked for the shape the API stores: a list of names stays a
list (``required_arguments="seconds"`` is refused, never sent as
``['s', 'e', 'c', ...]``), ids are whole numbers, flags are booleans. A
wrong value is a :class:`~jobharness.errors.ValidationError` naming the
field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from jobharness.backends.saltant.models import TaskQueue, TaskWhitelist, format_datetime
from jobharness.checks import mapping, shown, text_list
from jobharness.errors import ValidationError


def object_id(value: Any, what: str) -> int:
    """A whole-number id (an ``int``, or text of digits), else ValidationError naming ``what``."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(
            f"must be a whole-number id, got {type(value).__name__} {shown(value)}", what
        )
    return value


def id_list(value: Any, what: str) -> list[int]:
    """A list of ids from any iterable of ids; a lone id or text is refused."""
    if value is None:
        return []
    if isinstance(value, (str, bytes, int, Mapping)) or not isinstance(value, Iterable):
        raise ValidationError(
            f"must be a list of ids, got {type(value).__name__} {shown(value)}", what
        )
    return [object_id(item, f"{what}[{index}]") for index, item in enumerate(value)]


def _text(value: Any, what: str, *, optional: bool = False) -> Any:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"must be text, got {type(value).__name__} {shown(value)}", what)
    return value


def _flag(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(
            f"must be True or False, got {type(value).__name__} {shown(value)}", what
        )
    return value


def encode_filters(filters: Mapping[str, Any] | None) -> dict[str, str]:
    """Filters as query parameters: lists comma-joined, booleans lower-case, datetimes ISO 8601.

    ``None`` values are left out; ``filters`` that is not a mapping is refused.
    """

    def one(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, dt.datetime):
            return format_datetime(value)
        return str(value)

    params: dict[str, str] = {}
    for key, value in mapping(filters, "filters").items():
        if value is None:
            continue
        if isinstance(value, list | tuple | set | frozenset):
            params[key] = ",".join(one(item) for item in value)
        else:
            params[key] = one(value)
    return params


def task_type_body(
    name: Any,
    command_to_run: Any,
    description: Any,
    environment_variables: Any,
    required_arguments: Any,
    required_arguments_default_values: Any,
    extra: Mapping[str, Any],
) -> dict[str, Any]:
    """The body of a task type (POST or PUT), every field checked."""
    return {
        "name": _text(name, "name"),
        "description": _text(description, "description"),
        "command_to_run": _text(command_to_run, "command_to_run"),
        "environment_variables": text_list(environment_variables, "environment_variables"),
        "required_arguments": text_list(required_arguments, "required_arguments"),
        "required_arguments_default_values": mapping(
            required_arguments_default_values, "required_arguments_default_values"
        ),
        **extra,
    }


def executable_extra(json_file_option: Any) -> dict[str, Any]:
    """The field only executable task types have."""
    return {"json_file_option": _text(json_file_option, "json_file_option", optional=True)}


def container_extra(image: Any, kind: Any, logs: Any, results: Any) -> dict[str, Any]:
    """The fields only container task types have."""
    return {
        "container_image": _text(image, "container_image"),
        "container_type": _text(kind, "container_type"),
        "logs_path": _text(logs, "logs_path", optional=True),
        "results_path": _text(results, "results_path", optional=True),
    }


def queue_body(**values: Any) -> dict[str, Any]:
    """The body of a task queue (its writable fields), every field checked."""
    body = {key: values[key] for key in TaskQueue._writable}
    for key in ("name", "description"):
        body[key] = _text(body[key], key)
    for key in (
        "private",
        "runs_executable_tasks",
        "runs_docker_container_tasks",
        "runs_singularity_container_tasks",
        "active",
    ):
        if key in body:
            body[key] = _flag(body[key], key)
    body["whitelists"] = id_list(body["whitelists"], "whitelists")
    return body


def whitelist_body(**values: Any) -> dict[str, Any]:
    """The body of a task whitelist (its writable fields), every field checked."""
    body = {key: values[key] for key in TaskWhitelist._writable}
    for key in ("name", "description"):
        body[key] = _text(body[key], key)
    for key in ("whitelisted_container_task_types", "whitelisted_executable_task_types"):
        body[key] = id_list(body[key], key)
    return body


def instance_body(
    task_type_id: Any, task_queue_id: Any, arguments: Any, name: Any
) -> dict[str, Any]:
    """The body of a new task instance, every field checked."""
    return {
        "name": _text(name, "name"),
        "arguments": mapping(arguments, "arguments"),
        "task_type": object_id(task_type_id, "task_type_id"),
        "task_queue": object_id(task_queue_id, "task_queue_id"),
    }
