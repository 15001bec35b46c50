"""Strict decoding of dispatcher requests (§1.1): allowed keys per operation, value shapes.

A request that does not pass gets no reply at all; :class:`Rejected` says why
(for the log only). A job id that is not a well-formed UUID becomes the zero
UUID, which no job has.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from jobharness.servers.harp.codec import encode_value

ZERO_UUID = "00000000-0000-0000-0000-000000000000"
_UUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")

Operation = Literal["get_result", "get_status", "follow_stream", "read_stream", "cancel"]
JOB_OPERATIONS: dict[str, frozenset[str]] = {
    "get_result": frozenset({"wait"}),
    "get_status": frozenset(),
    "follow_stream": frozenset({"since", "recent"}),
    "read_stream": frozenset({"since", "recent"}),
    "cancel": frozenset(),
}
CALL_REQUIRED = frozenset({"harpcaller", "host", "procedure", "arguments"})
CALL_OPTIONAL = frozenset({"queue", "timeout", "max_exec_time", "info"})


class Rejected(ValueError):
    """The request is not acceptable; the connection is closed without a reply."""


@dataclass(frozen=True)
class QueueSpec:
    """A queue: its name object (as canonical JSON) and the concurrency asked for."""

    key: str
    name: dict[str, Any]
    concurrency: int


@dataclass(frozen=True)
class CallRequest:
    """Submit a procedure call to a host of the registry."""

    host: str
    procedure: str
    arguments: list[Any] | dict[str, Any]
    queue: QueueSpec | None = None
    timeout: int | None = None
    max_exec_time: int | None = None
    info: Any = None


@dataclass(frozen=True)
class JobRequest:
    """An operation on an existing job."""

    operation: Operation
    job_id: str
    wait: bool = False
    since: int | None = None
    recent: int | None = None


def _is_int(value: Any) -> bool:
    return type(value) is int


def _non_negative(request: dict[str, Any], key: str) -> int | None:
    if key not in request:
        return None
    value = request[key]
    if not _is_int(value) or value < 0:
        raise Rejected(f"{key} must be a non-negative integer")
    return int(value)


def normalize_job_id(value: Any) -> str:
    """The job id in canonical form, or the zero UUID when it is not a well-formed UUID."""
    if not isinstance(value, str):
        raise Rejected("job id must be a string")
    return value.lower() if _UUID.match(value) else ZERO_UUID


def _queue(value: Any) -> QueueSpec:
    if not isinstance(value, dict) or not set(value) <= {"name", "concurrency"}:
        raise Rejected("queue must be an object with name and optional concurrency")
    name = value.get("name")
    if not isinstance(name, dict):
        raise Rejected("queue name must be an object")
    concurrency = value.get("concurrency", 1)
    if not _is_int(concurrency) or concurrency < 1:
        raise Rejected("queue concurrency must be a positive integer")
    return QueueSpec(encode_value(name), name, concurrency)


def _call(request: dict[str, Any]) -> CallRequest:
    if not set(request) >= CALL_REQUIRED or not set(request) <= CALL_REQUIRED | CALL_OPTIONAL:
        raise Rejected("call request with missing or unexpected keys")
    host, procedure, arguments = request["host"], request["procedure"], request["arguments"]
    if not isinstance(host, str) or not isinstance(procedure, str):
        raise Rejected("host and procedure must be strings")
    if not isinstance(arguments, list | dict):
        raise Rejected("arguments must be an array or an object")
    timeout, max_exec_time = (
        _non_negative(request, "timeout"),
        _non_negative(request, "max_exec_time"),
    )
    queue = _queue(request["queue"]) if "queue" in request else None
    return CallRequest(
        host, procedure, arguments, queue, timeout, max_exec_time, request.get("info")
    )


def _job(operation: Operation, request: dict[str, Any]) -> JobRequest:
    allowed = {"harpcaller", operation} | JOB_OPERATIONS[operation]
    if not set(request) <= allowed:
        raise Rejected(f"{operation} request with unexpected keys")
    if "since" in request and "recent" in request:
        raise Rejected("since and recent are exclusive")
    wait = request.get("wait", False)
    if not isinstance(wait, bool):
        raise Rejected("wait must be a boolean")
    job_id = normalize_job_id(request[operation])
    return JobRequest(
        operation, job_id, wait, _non_negative(request, "since"), _non_negative(request, "recent")
    )


def parse_request(request: Any) -> CallRequest | JobRequest:
    """Validate a decoded request line; :class:`Rejected` when it gets no reply."""
    if not isinstance(request, dict) or not request:
        raise Rejected("request is not a non-empty object")
    version = request.get("harpcaller")
    if not _is_int(version) or version != 1:
        raise Rejected("harpcaller must be 1")
    for operation in JOB_OPERATIONS:
        if operation in request:
            return _job(operation, request)  # type: ignore[arg-type]
    return _call(request)
