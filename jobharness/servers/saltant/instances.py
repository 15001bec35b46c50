"""Task instances: create, clone, terminate, and the workers' state-update endpoint."""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

from werkzeug.wrappers import Response

from jobharness.servers.saltant.api import Call, Handler
from jobharness.servers.saltant.body import Body
from jobharness.servers.saltant.clock import now_stored
from jobharness.servers.saltant.fields import MISSING
from jobharness.servers.saltant.kinds import (
    CREATED,
    KINDS,
    PUBLISHED,
    STAMPED_STATES,
    STATE_MAX_LENGTH,
    TASK_QUEUES,
    TASK_WHITELISTS,
    TaskKind,
)
from jobharness.servers.saltant.responses import (
    ApiError,
    ServerFault,
    json_response,
    non_field_error,
    not_found,
)
from jobharness.servers.saltant.rules import RuleError, check_instance
from jobharness.servers.saltant.schemas import INSTANCE_SCHEMAS
from jobharness.servers.saltant.serializers import serialize
from jobharness.servers.saltant.store import Database, Row
from jobharness.servers.saltant.views import detail_view, list_view


def parse_uuid(text: str) -> str:
    """The canonical form of a UUID from the URL (404 if it is not one)."""
    try:
        return str(uuidlib.UUID(text))
    except ValueError:
        raise not_found() from None


def _checked_arguments(
    db: Database, kind: TaskKind, owner: str | None, row: dict[str, Any]
) -> dict[str, Any]:
    """Run upstream's instance rules on ``row``'s type, queue and arguments; raise RuleError."""
    task_type = db.get(kind.types, "id", row["task_type"])
    queue = db.get(TASK_QUEUES, "id", row["task_queue"])
    if task_type is None or queue is None:
        raise RuleError("the task type or the task queue no longer exists")
    whitelists = [w for pk in queue["whitelists"] if (w := db.get(TASK_WHITELISTS, "id", pk))]
    return check_instance(kind, row.get("arguments"), owner, task_type, queue, whitelists)


def _insert(call: Call, kind: TaskKind, values: dict[str, Any]) -> dict[str, Any]:
    """Store a new instance, publish it, and return its body as created (state ``created``)."""
    row = {
        "uuid": str(uuidlib.uuid4()),
        "user": call.user["username"],
        "state": CREATED,
        "datetime_created": now_stored(),
        "datetime_finished": None,
        **values,
    }
    call.db.insert(kind.instances, row)
    body = serialize(kind.instances, row)
    call.db.update(kind.instances, "uuid", row["uuid"], {"state": PUBLISHED})
    return body


def create_instance(kind: TaskKind) -> Handler:
    """``POST`` a task instance: validated, stored, published at once; 201 says ``created``."""
    schema = INSTANCE_SCHEMAS[kind.name]

    def handle(call: Call, values: dict[str, Any]) -> Response:
        with call.db.transaction():
            attrs = schema.validate(call.body(), call.context())
            arguments = attrs.get("arguments", MISSING)
            attrs["arguments"] = {} if arguments is MISSING else arguments
            try:
                attrs["arguments"] = _checked_arguments(call.db, kind, call.user["username"], attrs)
            except RuleError as exc:
                raise non_field_error(str(exc)) from None
            body = _insert(call, kind, {"name": "", **attrs})
        call.services.pool.notify()
        return json_response(body, 201)

    return handle


def _existing(call: Call, kind: TaskKind, key: str) -> Row:
    """The instance for clone/terminate; upstream fails unhandled when there is none."""
    try:
        canonical = str(uuidlib.UUID(key))
    except ValueError:
        raise ServerFault(f"not a UUID: {key}") from None
    row = call.db.get(kind.instances, "uuid", canonical)
    if row is None:
        raise ServerFault(f"no {kind.name} task instance {canonical}")
    return row


def clone_instance(kind: TaskKind) -> Handler:
    """``POST {uuid}/clone/``: a new instance with the same name, type, queue and arguments."""

    def handle(call: Call, values: dict[str, Any]) -> Response:
        with call.db.transaction():
            original = _existing(call, kind, values["key"])
            try:
                arguments = _checked_arguments(call.db, kind, call.user["username"], original)
            except RuleError as exc:
                raise ServerFault(str(exc)) from None
            copied = {k: original[k] for k in ("name", "task_type", "task_queue")}
            body = _insert(call, kind, {**copied, "arguments": arguments})
        call.services.pool.notify()
        return json_response(body, 201)

    return handle


def terminate_instance(kind: TaskKind) -> Handler:
    """``POST {uuid}/terminate/``: 202 with the instance as it is now; it stops later."""

    def handle(call: Call, values: dict[str, Any]) -> Response:
        row = _existing(call, kind, values["key"])
        body = serialize(kind.instances, row)
        call.services.pool.terminate(kind, row["uuid"])
        return json_response(body, 202)

    return handle


def _requested_state(body: Body) -> str:
    """The ``state`` of a state update; upstream fails unhandled without one."""
    if "state" not in body:
        raise ServerFault("no state given")
    value = body.value("state")
    state = value if isinstance(value, str) else str(value)
    if len(state) > STATE_MAX_LENGTH:
        raise ServerFault("state too long for its column")
    return state


def update_state(call: Call, values: dict[str, Any]) -> Response:
    """``PATCH updatetaskinstancestatus/{uuid}/``: any user, any instance, any short string."""
    key = values["key"]
    state = _requested_state(call.body())
    try:
        canonical = str(uuidlib.UUID(key))
    except ValueError:
        raise ServerFault(f"not a UUID: {key}") from None
    with call.db.transaction():
        for kind in reversed(KINDS):  # container instances first, as upstream looks
            row = call.db.get(kind.instances, "uuid", canonical)
            if row is None:
                continue
            try:  # upstream's save re-validates the whole instance
                _checked_arguments(call.db, kind, row["user"], row)
            except RuleError as exc:
                raise ServerFault(str(exc)) from None
            changes: dict[str, Any] = {"state": state}
            if state in STAMPED_STATES:
                changes["datetime_finished"] = now_stored()
            call.db.update(kind.instances, "uuid", canonical, changes)
            return json_response({"uuid": canonical, "state": state})
    raise ApiError(400, f"No task instance with UUID {key} found")


def instance_handlers(kind: TaskKind) -> dict[str, dict[str, Handler]]:
    """The handlers of task instances of ``kind`` by route and method."""
    return {
        "list": {"GET": list_view(kind.instances, 10), "POST": create_instance(kind)},
        "detail": {"GET": detail_view(kind.instances, "uuid", parse_uuid)},
        "clone": {"POST": clone_instance(kind)},
        "terminate": {"POST": terminate_instance(kind)},
    }
