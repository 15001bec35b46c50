"""Handlers shared by every collection (list, detail) and those of types, queues, whitelists."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Response

from jobharness.servers.saltant.api import Call, Handler
from jobharness.servers.saltant.clock import now_stored
from jobharness.servers.saltant.filters import where_clause
from jobharness.servers.saltant.kinds import (
    CONTAINER,
    EXECUTABLE,
    ROOT_COLLECTIONS,
    TASK_QUEUES,
    TASK_WHITELISTS,
    USERS,
    TaskKind,
)
from jobharness.servers.saltant.pagination import links, page_size, select_page
from jobharness.servers.saltant.responses import (
    ServerFault,
    json_response,
    non_field_error,
    not_found,
)
from jobharness.servers.saltant.rules import RuleError, check_type_arguments
from jobharness.servers.saltant.schemas import QUEUE_SCHEMA, TYPE_SCHEMAS, WHITELIST_SCHEMA, Schema
from jobharness.servers.saltant.serializers import serialize
from jobharness.servers.saltant.store import Row

SQLITE_MAX = 2**63 - 1
INSTANCE_PAGE_SIZE = 10
PAGE_SIZE = 100
ORDERING = {USERS: "username"}
for _kind in (EXECUTABLE, CONTAINER):
    ORDERING[_kind.instances] = "datetime_created DESC, seq DESC"
KeyParser = Callable[[str], Any]


def root(call: Call, values: dict[str, Any]) -> Response:
    """``GET /api/``: the map of the collections (their URLs without a trailing slash)."""
    base = call.request.host_url + "api/"
    return json_response({name: f"{base}{name}" for name in ROOT_COLLECTIONS})


def list_view(collection: str, default_size: int = PAGE_SIZE) -> Handler:
    """``GET`` on a collection: filtered, ordered, paginated."""
    order = ORDERING.get(collection, "id")

    def handle(call: Call, values: dict[str, Any]) -> Response:
        args = call.request.args
        where, params = where_clause(call.db, collection, args)
        count = int(call.db.scalar(f"SELECT COUNT(*) FROM {collection}{where}", params))
        page = select_page(args, count, page_size(args, default_size))
        rows = call.db.query(
            f"SELECT * FROM {collection}{where} ORDER BY {order} LIMIT ? OFFSET ?",
            [*params, min(page.size, SQLITE_MAX), page.offset],
        )
        following, previous = links(call.request.url, page)
        return json_response(
            {
                "count": count,
                "next": following,
                "previous": previous,
                "results": [serialize(collection, row) for row in rows],
            }
        )

    return handle


def int_key(text: str) -> int:
    """An integer id from the URL (404 for anything else)."""
    try:
        return int(text)
    except ValueError:
        raise not_found() from None


def fetch(call: Call, collection: str, column: str, key: Any) -> Row:
    """The row of ``collection`` with ``column`` = ``key``; 404 if there is none."""
    row = call.db.get(collection, column, key)
    if row is None:
        raise not_found()
    return row


def detail_view(collection: str, column: str, parse: KeyParser) -> Handler:
    """``GET`` on one object, looked up by ``column``."""

    def handle(call: Call, values: dict[str, Any]) -> Response:
        row = fetch(call, collection, column, parse(values["key"]))
        return json_response(serialize(collection, row))

    return handle


# -- task types ---------------------------------------------------------------------------


def _type_arguments(attrs: dict[str, Any]) -> dict[str, Any]:
    """The checked JSON fields of a task type (upstream's model rules), 400 if they fail."""
    try:
        env, required, defaults = check_type_arguments(
            attrs.get("environment_variables"),
            attrs.get("required_arguments"),
            attrs.get("required_arguments_default_values"),
        )
    except RuleError as exc:
        raise non_field_error(str(exc)) from None
    return {
        "environment_variables": env,
        "required_arguments": required,
        "required_arguments_default_values": defaults,
    }


def create_type(kind: TaskKind) -> Handler:
    """``POST`` a task type of ``kind``."""
    schema = TYPE_SCHEMAS[kind.name]
    extras = (
        {"json_file_option": None}
        if kind == EXECUTABLE
        else {"logs_path": None, "results_path": None}
    )

    def handle(call: Call, values: dict[str, Any]) -> Response:
        with call.db.transaction():
            attrs = schema.validate(call.body(), call.context())
            row = {
                "description": "",
                **extras,
                **attrs,
                **_type_arguments(attrs),
                "user": call.user["username"],
                "datetime_created": now_stored(),
            }
            new_id = call.db.insert(kind.types, row)
            created = fetch(call, kind.types, "id", new_id)
        return json_response(serialize(kind.types, created), 201)

    return handle


def put_type(kind: TaskKind) -> Handler:
    """``PUT`` a task type (owner or superuser only)."""
    schema = TYPE_SCHEMAS[kind.name]

    def handle(call: Call, values: dict[str, Any]) -> Response:
        with call.db.transaction():
            row = fetch(call, kind.types, "id", int_key(values["key"]))
            call.require_owner(row)
            attrs = schema.validate(call.body(), call.context(row))
            checked = _type_arguments(attrs)
            merged = {**row, **attrs}
            try:  # upstream's save re-checks the merged object: a failure there is unhandled
                check_type_arguments(
                    merged["environment_variables"],
                    merged["required_arguments"],
                    merged["required_arguments_default_values"],
                )
            except RuleError as exc:
                raise ServerFault(str(exc)) from None
            changes = {**attrs, **{k: v for k, v in checked.items() if k in attrs}}
            call.db.update(kind.types, "id", row["id"], changes)
            updated = fetch(call, kind.types, "id", row["id"])
        return json_response(serialize(kind.types, updated))

    return handle


# -- task queues and whitelists ---------------------------------------------------------

QUEUE_DEFAULTS = {
    "description": "",
    "private": False,
    "runs_executable_tasks": True,
    "runs_docker_container_tasks": True,
    "runs_singularity_container_tasks": True,
    "active": True,
    "whitelists": [],
}
WHITELIST_DEFAULTS = {
    "description": "",
    CONTAINER.whitelist_field: [],
    EXECUTABLE.whitelist_field: [],
}


def create_simple(collection: str, schema: Schema, defaults: dict[str, Any]) -> Handler:
    """``POST`` a queue or a whitelist."""

    def handle(call: Call, values: dict[str, Any]) -> Response:
        with call.db.transaction():
            attrs = schema.validate(call.body(), call.context())
            new_id = call.db.insert(
                collection, {**defaults, **attrs, "user": call.user["username"]}
            )
            created = fetch(call, collection, "id", new_id)
        call.services.pool.notify()
        return json_response(serialize(collection, created), 201)

    return handle


def update_simple(collection: str, schema: Schema, partial: bool) -> Handler:
    """``PUT`` (or ``PATCH`` with ``partial``) a queue or a whitelist (owner or superuser)."""

    def handle(call: Call, values: dict[str, Any]) -> Response:
        with call.db.transaction():
            row = fetch(call, collection, "id", int_key(values["key"]))
            call.require_owner(row)
            attrs = schema.validate(call.body(), call.context(row), partial=partial)
            call.db.update(collection, "id", row["id"], attrs)
            updated = fetch(call, collection, "id", row["id"])
        call.services.pool.notify()
        return json_response(serialize(collection, updated))

    return handle


QUEUE_HANDLERS = {
    "list": {
        "GET": list_view(TASK_QUEUES),
        "POST": create_simple(TASK_QUEUES, QUEUE_SCHEMA, QUEUE_DEFAULTS),
    },
    "detail": {
        "GET": detail_view(TASK_QUEUES, "id", int_key),
        "PUT": update_simple(TASK_QUEUES, QUEUE_SCHEMA, partial=False),
        "PATCH": update_simple(TASK_QUEUES, QUEUE_SCHEMA, partial=True),
    },
}
WHITELIST_HANDLERS = {
    "list": {
        "GET": list_view(TASK_WHITELISTS),
        "POST": create_simple(TASK_WHITELISTS, WHITELIST_SCHEMA, WHITELIST_DEFAULTS),
    },
    "detail": {
        "GET": detail_view(TASK_WHITELISTS, "id", int_key),
        "PUT": update_simple(TASK_WHITELISTS, WHITELIST_SCHEMA, partial=False),
        "PATCH": update_simple(TASK_WHITELISTS, WHITELIST_SCHEMA, partial=True),
    },
}
USER_HANDLERS = {
    "list": {"GET": list_view(USERS)},
    "detail": {"GET": detail_view(USERS, "username", str)},
}


def type_handlers(kind: TaskKind) -> dict[str, dict[str, Handler]]:
    """The list and detail handlers of task types of ``kind``."""
    return {
        "list": {"GET": list_view(kind.types), "POST": create_type(kind)},
        "detail": {"GET": detail_view(kind.types, "id", int_key), "PUT": put_type(kind)},
    }
