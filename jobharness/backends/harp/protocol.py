"""Building harp requests and reading stream packets, with local validation.

The dispatcher drops a request it cannot decode without a word (protocol
§1.1), so everything it would reject is checked here first and reported with a
:class:`~jobharness.errors.ValidationError` naming the offending field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from jobharness.errors import ProtocolError, ValidationError
from jobharness.redaction import snippet
from jobharness.transport.retry import RetryPolicy

DISPATCHER_PORT = 3502
HARPD_PORT = 4306
DISPATCHER_MAX_REQUEST_BYTES = 1_040_000
"""Longest request line the dispatcher was seen to accept (its socket buffer is 1 MiB)."""

Arguments = list[Any] | dict[str, Any]

HARP_RETRIES = 4
"""Attempts after the first when a connection is refused or cut before its reply."""


def harp_retry(retries: int = HARP_RETRIES) -> RetryPolicy:
    """The retry policy of the harp clients: pauses of 0.1 s doubling up to 1 s."""
    return RetryPolicy(retries=retries, backoff=0.1, max_backoff=1.0)


def call_arguments(args: Sequence[Any], kwargs: Mapping[str, Any]) -> Arguments:
    """The ``arguments`` field: positional (a list) or keyword (an object), never both."""
    if args and kwargs:
        raise ValidationError(
            "a harp call takes positional or keyword arguments, not both "
            f"(got {len(args)} positional and keywords {', '.join(sorted(kwargs))})",
            "arguments",
        )
    return dict(kwargs) if kwargs else list(args)


def positive_seconds(value: int | float | timedelta | None, field: str) -> int | None:
    """Whole seconds (at least 1) for ``timeout``/``max_exec_time``; a fraction rounds up."""
    if value is None:
        return None
    if isinstance(value, timedelta):
        value = value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationError(f"must be a number of seconds, got {value!r}", field)
    seconds = int(value) if float(value).is_integer() else int(value) + 1
    if seconds < 1:
        raise ValidationError(f"must be at least 1 second, got {value!r}", field)
    return seconds


def non_negative(value: int | None, field: str) -> int | None:
    """A packet number or count (``since``/``recent``)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(f"must be a whole number of 0 or more, got {value!r}", field)
    return value


def stream_position(since: int | None, recent: int | None) -> dict[str, int]:
    """The ``since`` or ``recent`` field of a stream request (both is an error)."""
    since, recent = non_negative(since, "since"), non_negative(recent, "recent")
    if since is not None and recent is not None:
        raise ValidationError("give since or recent, not both", "since/recent")
    if since is not None:
        return {"since": since}
    if recent is not None:
        return {"recent": recent}
    return {}


@dataclass(frozen=True)
class CallOptions:
    """Job options of a dispatcher call: queue (+ concurrency), timeout, max_exec_time, info.

    ``queue`` is the queue's name, a JSON object (``{"service": "nginx"}``).
    ``timeout`` and ``max_exec_time`` are whole seconds; note that the
    dispatcher ignores ``max_exec_time`` and applies ``timeout`` to both
    limits (protocol §1.2). ``info`` is any JSON value kept with the job.
    """

    queue: Mapping[str, Any] | None = None
    concurrency: int | None = None
    timeout: int | None = None
    max_exec_time: int | None = None
    info: Any = None

    @classmethod
    def build(
        cls,
        queue: Mapping[str, Any] | None = None,
        concurrency: int | None = None,
        timeout: int | float | timedelta | None = None,
        max_exec_time: int | float | timedelta | None = None,
        info: Any = None,
    ) -> CallOptions:
        """Validate the options and return them (errors name the option)."""
        if queue is not None and not isinstance(queue, Mapping):
            raise ValidationError(
                f"a queue name must be a JSON object such as {{'service': 'web'}}, got {queue!r}",
                "queue",
            )
        if concurrency is not None:
            if queue is None:
                raise ValidationError("concurrency needs a queue", "concurrency")
            if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
                raise ValidationError(
                    f"must be a whole number of 1 or more, got {concurrency!r}", "concurrency"
                )
        return cls(
            queue=dict(queue) if queue is not None else None,
            concurrency=concurrency,
            timeout=positive_seconds(timeout, "timeout"),
            max_exec_time=positive_seconds(max_exec_time, "max_exec_time"),
            info=info,
        )

    def fields(self) -> dict[str, Any]:
        """The request fields for these options (unset ones left out; ``info`` always sent)."""
        out: dict[str, Any] = {}
        if self.queue is not None:
            queue: dict[str, Any] = {"name": dict(self.queue)}
            if self.concurrency is not None:
                queue["concurrency"] = self.concurrency
            out["queue"] = queue
        if self.timeout is not None:
            out["timeout"] = self.timeout
        if self.max_exec_time is not None:
            out["max_exec_time"] = self.max_exec_time
        out["info"] = self.info
        return out

    def replace(self, **changes: Any) -> CallOptions:
        """A copy with some options changed (validated again)."""
        current = {
            "queue": self.queue,
            "concurrency": self.concurrency,
            "timeout": self.timeout,
            "max_exec_time": self.max_exec_time,
            "info": self.info,
        }
        unknown = set(changes) - set(current)
        if unknown:
            raise ValidationError(
                f"unknown job option(s) {', '.join(sorted(unknown))}; known: {', '.join(current)}",
                "options",
            )
        current.update(changes)
        return CallOptions.build(**current)


def check_name(value: str, field: str) -> str:
    """A non-empty host or procedure name."""
    if not isinstance(value, str) or not value:
        raise ValidationError(f"must be a non-empty text, got {value!r}", field)
    return value


def call_request(
    host: str, procedure: str, arguments: Arguments, options: CallOptions
) -> dict[str, Any]:
    """The dispatcher's call submission request."""
    return {
        "harpcaller": 1,
        "host": check_name(host, "host"),
        "procedure": check_name(procedure, "procedure"),
        "arguments": arguments,
        **options.fields(),
    }


def job_request(operation: str, job_id: str, **fields: Any) -> dict[str, Any]:
    """A dispatcher request about one job (``get_result``, ``follow_stream``, ...)."""
    return {"harpcaller": 1, operation: job_id, **fields}


def harpd_request(procedure: str, arguments: Arguments, user: str, password: str) -> dict[str, Any]:
    """harpd's call request (the password is in it: never log it)."""
    return {
        "harp": 1,
        "procedure": check_name(procedure, "procedure"),
        "arguments": arguments,
        "auth": {"user": user, "password": password},
    }


def parse_packet(message: Mapping[str, Any], source: str) -> tuple[int, Any] | None:
    """``(number, data)`` of a stream packet line, ``None`` for any other line."""
    if "packet" not in message:
        return None
    number = message["packet"]
    if (
        isinstance(number, bool)
        or not isinstance(number, int)
        or number < 0
        or ("data" not in message)
    ):
        shown = snippet(repr(dict(message)))
        raise ProtocolError(f"{source} sent a malformed stream packet: {shown}", snippet=shown)
    return number, message["data"]
