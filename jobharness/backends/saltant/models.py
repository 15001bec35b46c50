"""The saltant objects as dataclasses: users, task types, queues, whitelists, task instances.

Fields are named exactly like the JSON fields (and like saltant-py's
attributes). Unlike saltant-py:

* a field the server adds is kept in :attr:`Model.extra` instead of breaking
  the constructor;
* a missing field or a value of the wrong type is a
  :class:`~jobharness.errors.ProtocolError` naming the field and the request;
* :meth:`Model.sync` really updates the object (and returns it).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import dateutil.parser

from jobharness.backends.saltant.protocol import FINISHED_STATES
from jobharness.errors import ProtocolError
from jobharness.redaction import snippet

if TYPE_CHECKING:
    from typing_extensions import Self

    from jobharness.backends.saltant.job import SaltantJob
    from jobharness.jobs import OnTimeout, PollPolicy

M = TypeVar("M", bound="Model")


_INT = (int,)
_STR = (str,)
_OPT_STR = (str, type(None))
_LIST = (list,)
_DICT = (dict,)
_BOOL = (bool,)


def parse_datetime(value: Any, name: str, source: str) -> dt.datetime:
    """An ISO 8601 timestamp from the server as an aware datetime (naive ones taken as UTC)."""
    try:
        parsed = dateutil.parser.isoparse(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ProtocolError(
            f"{source}: field {name!r} is not an ISO 8601 timestamp: {snippet(repr(value))}",
            snippet=snippet(repr(value)),
        ) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def format_datetime(value: dt.datetime) -> str:
    """A datetime as the server writes it: UTC, microseconds, ``Z``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(kw_only=True)
class Model:
    """Base of the saltant objects: built from JSON, tolerant of extra fields."""

    manager: Any = field(default=None, repr=False, compare=False)
    """The manager that built this object (used by :meth:`sync` and friends)."""
    extra: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """Fields the server sent that this model does not know."""

    _types: ClassVar[Mapping[str, tuple[type, ...]]] = {}
    _datetimes: ClassVar[tuple[str, ...]] = ()
    _optional_datetimes: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def from_json(cls: type[M], data: Any, manager: Any = None, source: str = "server") -> M:
        """Build the model from a decoded JSON object; ``source`` names the request for errors."""
        kind = cls.__name__
        if not isinstance(data, dict):
            raise ProtocolError(
                f"{source}: expected a JSON object for a {kind}, got {snippet(repr(data))}",
                snippet=snippet(repr(data)),
            )
        names = {f.name for f in dataclasses.fields(cls)} - {"manager", "extra"}
        values: dict[str, Any] = {}
        for name in sorted(names):
            if name not in data:
                raise ProtocolError(f"{source}: the {kind} has no field {name!r}: {_keys(data)}")
            values[name] = cls._convert(name, data[name], source)
        extra = {key: value for key, value in data.items() if key not in names}
        return cls(manager=manager, extra=extra, **values)

    @classmethod
    def _convert(cls, name: str, value: Any, source: str) -> Any:
        if name in cls._datetimes or (name in cls._optional_datetimes and value is not None):
            return parse_datetime(value, name, source)
        if name in cls._optional_datetimes:
            return None
        expected = cls._types.get(name)
        if expected is not None and (
            not isinstance(value, expected) or (isinstance(value, bool) and bool not in expected)
        ):
            shown = " or ".join("null" if t is type(None) else t.__name__ for t in expected)
            raise ProtocolError(
                f"{source}: field {name!r} of the {cls.__name__} should be {shown}, "
                f"got {snippet(repr(value))}",
                snippet=snippet(repr(value)),
            )
        return value

    def to_json(self) -> dict[str, Any]:
        """The object as JSON-ready data (timestamps in ISO 8601), extra fields included."""
        data: dict[str, Any] = dict(self.extra)
        for f in dataclasses.fields(self):
            if f.name in ("manager", "extra"):
                continue
            value = getattr(self, f.name)
            data[f.name] = format_datetime(value) if isinstance(value, dt.datetime) else value
        return data

    def _update_from(self, fresh: Model) -> Self:
        for f in dataclasses.fields(self):
            if f.name != "manager":
                setattr(self, f.name, getattr(fresh, f.name))
        return self

    @property
    def _manager(self) -> Any:
        if self.manager is None:
            raise ProtocolError(f"this {type(self).__name__} is not bound to a client")
        return self.manager


class _ById(Model):
    """sync/put for the objects looked up by integer ``id`` (types, queues, whitelists)."""

    _writable: ClassVar[tuple[str, ...]] = ()

    def sync(self) -> Self:
        """Reload this object from the server, in place; return it."""
        return self._update_from(self._manager.get(id=getattr(self, "id")))  # noqa: B009

    def put(self) -> Self:
        """Send every writable field to the server (PUT); update in place; return self."""
        values = {name: getattr(self, name) for name in self._writable}
        return self._update_from(self._manager.put(getattr(self, "id"), **values))  # noqa: B009


def _keys(data: Mapping[str, Any]) -> str:
    return "fields " + ", ".join(sorted(map(str, data))) if data else "an empty object"


# -- users -------------------------------------------------------------------------------------


@dataclass(kw_only=True)
class User(Model):
    """A saltant user (read-only through the API)."""

    username: str
    email: str

    _types = {"username": _STR, "email": _STR}

    def sync(self) -> Self:
        """Reload this user from the server, in place; return it."""
        return self._update_from(self._manager.get(self.username))

    def __str__(self) -> str:
        return self.username


# -- task types --------------------------------------------------------------------------------


@dataclass(kw_only=True)
class TaskType(_ById):
    """Fields shared by executable and container task types."""

    id: int
    name: str
    description: str
    user: str
    datetime_created: dt.datetime
    command_to_run: str
    environment_variables: list[str]
    required_arguments: list[str]
    required_arguments_default_values: dict[str, Any]

    _types = {
        "id": _INT,
        "name": _STR,
        "description": _STR,
        "user": _STR,
        "command_to_run": _STR,
        "environment_variables": _LIST,
        "required_arguments": _LIST,
        "required_arguments_default_values": _DICT,
    }
    _datetimes = ("datetime_created",)
    _writable: ClassVar[tuple[str, ...]] = (
        "name",
        "description",
        "command_to_run",
        "environment_variables",
        "required_arguments",
        "required_arguments_default_values",
    )

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"


@dataclass(kw_only=True)
class ExecutableTaskType(TaskType):
    """A task type whose command runs as a process on the worker."""

    json_file_option: str | None

    _types = {**TaskType._types, "json_file_option": _OPT_STR}
    _writable = (*TaskType._writable, "json_file_option")


@dataclass(kw_only=True)
class ContainerTaskType(TaskType):
    """A task type whose command runs in a Docker or Singularity container."""

    logs_path: str | None
    results_path: str | None
    container_image: str
    container_type: str

    _types = {
        **TaskType._types,
        "logs_path": _OPT_STR,
        "results_path": _OPT_STR,
        "container_image": _STR,
        "container_type": _STR,
    }
    _writable = (
        *TaskType._writable,
        "logs_path",
        "results_path",
        "container_image",
        "container_type",
    )


# -- queues and whitelists ---------------------------------------------------------------------


class _Editable(_ById):
    """patch for the objects that also take PATCH (queues, whitelists)."""

    def patch(self) -> Self:
        """Same as :meth:`put` at the model level (as in saltant-py)."""
        return self.put()


@dataclass(kw_only=True)
class TaskQueue(_Editable):
    """A queue (the Celery queue name workers consume), with what it runs and its whitelists."""

    id: int
    user: str
    name: str
    description: str
    private: bool
    runs_executable_tasks: bool
    runs_docker_container_tasks: bool
    runs_singularity_container_tasks: bool
    active: bool
    whitelists: list[int]

    _types = {
        "id": _INT,
        "user": _STR,
        "name": _STR,
        "description": _STR,
        "private": _BOOL,
        "runs_executable_tasks": _BOOL,
        "runs_docker_container_tasks": _BOOL,
        "runs_singularity_container_tasks": _BOOL,
        "active": _BOOL,
        "whitelists": _LIST,
    }
    _writable = (
        "name",
        "description",
        "private",
        "runs_executable_tasks",
        "runs_docker_container_tasks",
        "runs_singularity_container_tasks",
        "active",
        "whitelists",
    )

    def __str__(self) -> str:
        return self.name


@dataclass(kw_only=True)
class TaskWhitelist(_Editable):
    """A named set of task types a queue accepts."""

    id: int
    user: str
    name: str
    description: str
    whitelisted_container_task_types: list[int]
    whitelisted_executable_task_types: list[int]

    _types = {
        "id": _INT,
        "user": _STR,
        "name": _STR,
        "description": _STR,
        "whitelisted_container_task_types": _LIST,
        "whitelisted_executable_task_types": _LIST,
    }
    _writable = (
        "name",
        "description",
        "whitelisted_container_task_types",
        "whitelisted_executable_task_types",
    )

    def __str__(self) -> str:
        return self.name


# -- task instances ----------------------------------------------------------------------------


@dataclass(kw_only=True)
class TaskInstance(Model):
    """A run of a task type on a queue. ``state`` is saltant's own word for where it is."""

    uuid: str
    name: str
    state: str
    user: str
    task_queue: int
    task_type: int
    datetime_created: dt.datetime
    datetime_finished: dt.datetime | None
    arguments: dict[str, Any]

    _types = {
        "uuid": _STR,
        "name": _STR,
        "state": _STR,
        "user": _STR,
        "task_queue": _INT,
        "task_type": _INT,
        "arguments": _DICT,
    }
    _datetimes = ("datetime_created",)
    _optional_datetimes = ("datetime_finished",)

    @property
    def finished(self) -> bool:
        """True once the state is successful, failed or terminated.

        ``datetime_finished`` is no guide: it stays null for terminated instances.
        """
        return self.state in FINISHED_STATES

    def sync(self) -> Self:
        """Reload this instance from the server, in place; return it."""
        return self._update_from(self._manager.get(self.uuid))

    def clone(self) -> Self:
        """Start a copy of this instance (same type, queue, name and arguments); return the copy."""
        copy: Self = self._manager.clone(self.uuid)
        return copy

    def terminate(self) -> Self:
        """Ask the server to terminate this instance; update in place from its answer; return it."""
        return self._update_from(self._manager.terminate(self.uuid))

    def wait_until_finished(
        self,
        timeout: float | None = None,
        *,
        refresh_period: float | None = None,
        poll: PollPolicy | None = None,
        on_timeout: OnTimeout | str = "fail",
    ) -> Self:
        """Wait (with a deadline) until the instance is finished; update in place; return it."""
        fresh = self._manager.wait_until_finished(
            self.uuid,
            refresh_period=refresh_period,
            timeout=timeout,
            poll=poll,
            on_timeout=on_timeout,
        )
        return self._update_from(fresh)

    def job(self) -> SaltantJob:
        """This instance as a :class:`~jobharness.jobs.Job` for the wait engine."""
        from jobharness.backends.saltant.job import SaltantJob

        return SaltantJob(self)

    def __str__(self) -> str:
        return self.uuid


@dataclass(kw_only=True)
class ExecutableTaskInstance(TaskInstance):
    """A task instance of an executable task type."""


@dataclass(kw_only=True)
class ContainerTaskInstance(TaskInstance):
    """A task instance of a container task type."""
