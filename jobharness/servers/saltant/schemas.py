"""What each writable resource accepts: its fields, in upstream's order, and their checks."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from jobharness.servers.saltant.body import Body
from jobharness.servers.saltant.fields import (
    MISSING,
    BooleanField,
    CharField,
    ChoiceField,
    Context,
    Field,
    FieldError,
    JSONField,
    PkField,
    PkListField,
    Validator,
)
from jobharness.servers.saltant.kinds import (
    CONTAINER,
    CONTAINER_TYPES,
    EXECUTABLE,
    TASK_QUEUES,
    TASK_WHITELISTS,
    TaskKind,
)
from jobharness.servers.saltant.responses import ApiError, bad_request

_SANE_NAME = re.compile(r"^[\w@+-]+$")


@dataclass(frozen=True)
class Schema:
    """The input fields of a resource."""

    fields: Sequence[Field]

    def validate(self, body: Body, ctx: Context, partial: bool = False) -> dict[str, Any]:
        """The validated attributes given in ``body``; 400 with every field's errors."""
        if not body.is_form and not isinstance(body.data, dict):
            kind = type(body.data).__name__
            raise ApiError(
                400, {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {kind}."]}
            )
        attrs: dict[str, Any] = {}
        errors: dict[str, list[str]] = {}
        for field in self.fields:
            try:
                value = field.run(body, ctx, partial)
            except FieldError as exc:
                errors[field.name] = exc.messages
                continue
            if value is not MISSING:
                attrs[field.name] = value
        if errors:
            raise bad_request(errors)
        return attrs


def unique_name(table: str, verbose: str) -> Validator:
    """Upstream's unique-name check (the row being updated does not count)."""

    def check(value: Any, ctx: Context) -> str | None:
        own_id = ctx.instance["id"] if ctx.instance else None
        taken = ctx.db.scalar(
            f"SELECT COUNT(*) FROM {table} WHERE name = ? AND id IS NOT ?", (value, own_id)
        )
        return f"{verbose} with this name already exists." if taken else None

    return check


def _sane_name(value: Any, ctx: Context) -> str | None:
    return None if _SANE_NAME.match(value) else " @/+/-/_ only"


def row_exists(table: str) -> Any:
    """An ``exists`` callable for a pk field over ``table``."""
    return lambda ctx, pk: ctx.db.get(table, "id", pk) is not None


def queue_visible(ctx: Context, pk: int) -> bool:
    """Whether the caller may post to queue ``pk``: active, and public or their own."""
    queue = ctx.db.get(TASK_QUEUES, "id", pk)
    if queue is None or not queue["active"]:
        return False
    return not queue["private"] or queue["user"] == ctx.user["username"]


def task_type_schema(kind: TaskKind) -> Schema:
    """Task types of ``kind``."""
    common: list[Field] = [
        CharField(
            "name",
            max_length=200,
            required=True,
            validators=[unique_name(kind.types, f"{kind.name} task type")],
        ),
        CharField("description", allow_blank=True),
        CharField("command_to_run", max_length=400, required=True),
        JSONField("environment_variables"),
        JSONField("required_arguments"),
        JSONField("required_arguments_default_values"),
    ]
    if kind == EXECUTABLE:
        extra: list[Field] = [
            CharField("json_file_option", max_length=50, allow_blank=True, allow_null=True)
        ]
    else:
        extra = [
            CharField("logs_path", max_length=400, allow_blank=True, allow_null=True),
            CharField("results_path", max_length=400, allow_blank=True, allow_null=True),
            CharField("container_image", max_length=200, required=True),
            ChoiceField("container_type", CONTAINER_TYPES, required=True),
        ]
    return Schema([*common, *extra])


QUEUE_SCHEMA = Schema(
    [
        CharField(
            "name",
            max_length=50,
            required=True,
            validators=[_sane_name, unique_name(TASK_QUEUES, "task queue")],
        ),
        CharField("description", allow_blank=True),
        BooleanField("private"),
        BooleanField("runs_executable_tasks"),
        BooleanField("runs_docker_container_tasks"),
        BooleanField("runs_singularity_container_tasks"),
        BooleanField("active"),
        PkListField("whitelists", row_exists(TASK_WHITELISTS)),
    ]
)

WHITELIST_SCHEMA = Schema(
    [
        CharField(
            "name",
            max_length=50,
            required=True,
            validators=[unique_name(TASK_WHITELISTS, "task whitelist")],
        ),
        CharField("description", allow_blank=True),
        PkListField(CONTAINER.whitelist_field, row_exists(CONTAINER.types)),
        PkListField(EXECUTABLE.whitelist_field, row_exists(EXECUTABLE.types)),
    ]
)


def instance_schema(kind: TaskKind) -> Schema:
    """Task instances of ``kind`` (``state``, ``uuid``, ``user`` and the dates are read-only)."""
    return Schema(
        [
            CharField("name", max_length=200, allow_blank=True),
            JSONField("arguments"),
            PkField("task_queue", queue_visible, required=True),
            PkField("task_type", row_exists(kind.types), required=True),
        ]
    )


TYPE_SCHEMAS = {kind.name: task_type_schema(kind) for kind in (EXECUTABLE, CONTAINER)}
INSTANCE_SCHEMAS = {kind.name: instance_schema(kind) for kind in (EXECUTABLE, CONTAINER)}
