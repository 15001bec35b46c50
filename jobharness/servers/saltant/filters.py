"""List filters: django-filter's query parameters turned into SQL.

Each filterable field takes its lookups as ``field`` (exact) or
``field__lookup``. Unknown parameters are ignored; empty values skip the
filter; a bad value for a choice, key or date/time field gives 400.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from werkzeug.datastructures import MultiDict

from jobharness.servers.saltant.clock import parse_iso, to_stored
from jobharness.servers.saltant.kinds import (
    CONTAINER,
    CONTAINER_TYPES,
    EXECUTABLE,
    STATES,
    TASK_QUEUES,
    TASK_WHITELISTS,
    USERS,
)
from jobharness.servers.saltant.responses import ServerFault, bad_request
from jobharness.servers.saltant.store import Database

TEXT, BOOL, KEY, DATETIME = "text", "bool", "key", "datetime"
LOOKUPS = {
    TEXT: ("exact", "contains", "in", "startswith", "endswith", "regex"),
    BOOL: ("exact",),
    KEY: ("exact", "in"),
    DATETIME: ("exact", "year", "range", "lt", "lte", "gt", "gte"),
}
_COMPARISONS = {"exact": "=", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
_BOOLEANS = {"1": True, "true": True, "0": False, "false": False}
_INVALID_CHOICE = "Select a valid choice. That choice is not one of the available choices."


class FilterError(Exception):
    """A filter value was rejected (400 under the parameter's name)."""


@dataclass(frozen=True)
class Filter:
    """A filterable field: its column and kind (and choices, or the table its key points to)."""

    column: str
    kind: str
    choices: tuple[str, ...] = ()
    table: str = ""


def _text(column: str, choices: tuple[str, ...] = ()) -> Filter:
    return Filter(column, TEXT, choices)


_INSTANCE_FILTERS = {
    "name": _text("name"),
    "state": _text("state", STATES),
    "user__username": _text("user"),
    "datetime_created": Filter("datetime_created", DATETIME),
    "datetime_finished": Filter("datetime_finished", DATETIME),
}
_TYPE_FILTERS = {
    "name": _text("name"),
    "description": _text("description"),
    "user__username": _text("user"),
    "command_to_run": _text("command_to_run"),
    "datetime_created": Filter("datetime_created", DATETIME),
}
FILTERS: dict[str, dict[str, Filter]] = {
    USERS: {"username": _text("username"), "email": _text("email")},
    EXECUTABLE.types: _TYPE_FILTERS,
    CONTAINER.types: {
        **_TYPE_FILTERS,
        "container_image": _text("container_image"),
        "container_type": _text("container_type", CONTAINER_TYPES),
    },
    TASK_QUEUES: {
        "name": _text("name"),
        "description": _text("description"),
        "user__username": _text("user"),
        **{
            flag: Filter(flag, BOOL)
            for flag in (
                "private",
                "runs_executable_tasks",
                "runs_docker_container_tasks",
                "runs_singularity_container_tasks",
                "active",
            )
        },
    },
    TASK_WHITELISTS: {
        "name": _text("name"),
        "description": _text("description"),
        "user__username": _text("user"),
    },
}
for _kind in (EXECUTABLE, CONTAINER):
    FILTERS[_kind.instances] = {
        **_INSTANCE_FILTERS,
        "task_type": Filter("task_type", KEY, table=_kind.types),
        "task_queue": Filter("task_queue", KEY, table=TASK_QUEUES),
    }


def _datetime(text: str) -> str:
    moment = parse_iso(text)
    if moment is None:
        raise FilterError("Enter a valid date/time.")
    return to_stored(moment)


def _key(db: Database, table: str, text: str) -> int:
    try:
        pk = int(text)
    except ValueError:
        raise FilterError(_INVALID_CHOICE) from None
    if db.get(table, "id", pk) is None:
        raise FilterError(_INVALID_CHOICE)
    return pk


def _text_clause(spec: Filter, lookup: str, value: str) -> tuple[str, list[Any]]:
    column = spec.column
    if lookup == "exact":
        if spec.choices and value not in spec.choices:
            raise FilterError(
                f"Select a valid choice. {value} is not one of the available choices."
            )
        return f"{column} = ?", [value]
    if lookup == "contains":
        return f"instr({column}, ?) > 0", [value]
    if lookup == "in":
        items = value.split(",")
        return f"{column} IN ({', '.join('?' for _ in items)})", items
    if lookup == "startswith":
        return f"instr({column}, ?) = 1", [value]
    if lookup == "endswith":
        return f"substr({column}, -?) = ?", [len(value), value]
    try:
        re.compile(value)
    except re.error as exc:  # upstream's database rejects the pattern: an unhandled error
        raise ServerFault(f"invalid regular expression: {exc}") from exc
    return f"{column} REGEXP ?", [value]


def _datetime_clause(spec: Filter, lookup: str, value: str) -> tuple[str, list[Any]]:
    column = spec.column
    if lookup == "year":
        try:
            year = Decimal(value.strip())
        except InvalidOperation:
            raise FilterError("Enter a number.") from None
        wanted = int(year) if year == year.to_integral_value() else float(year)
        return f"CAST(substr({column}, 1, 4) AS INTEGER) = ?", [wanted]
    if lookup == "range":
        bounds = value.split(",")
        if len(bounds) != 2:
            raise FilterError("Range query expects two values.")
        return f"{column} BETWEEN ? AND ?", [_datetime(b) for b in bounds]
    return f"{column} {_COMPARISONS[lookup]} ?", [_datetime(value)]


def _clause(db: Database, spec: Filter, lookup: str, value: str) -> tuple[str, list[Any]] | None:
    """SQL for one filter, or ``None`` when the value means "do not filter"."""
    if spec.kind == TEXT:
        return _text_clause(spec, lookup, value)
    if spec.kind == BOOL:
        flag = _BOOLEANS.get(value.lower())
        return None if flag is None else (f"{spec.column} = ?", [int(flag)])
    if spec.kind == KEY:
        items = value.split(",") if lookup == "in" else [value]
        keys = [_key(db, spec.table, item) for item in items]
        return f"{spec.column} IN ({', '.join('?' for _ in keys)})", keys
    return _datetime_clause(spec, lookup, value)


def where_clause(db: Database, collection: str, args: MultiDict[str, str]) -> tuple[str, list[Any]]:
    """The WHERE text (``""`` for none) and its parameters for the filters in ``args``."""
    clauses: list[str] = []
    params: list[Any] = []
    errors: dict[str, list[str]] = {}
    for field, spec in FILTERS.get(collection, {}).items():
        for lookup in LOOKUPS[spec.kind]:
            name = field if lookup == "exact" else f"{field}__{lookup}"
            values = args.getlist(name)
            if not values or values[-1] == "":
                continue
            try:
                clause = _clause(db, spec, lookup, values[-1])
            except FilterError as exc:
                errors[name] = [str(exc)]
                continue
            if clause is not None:
                clauses.append(clause[0])
                params.extend(clause[1])
    if errors:
        raise bad_request(errors)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params
