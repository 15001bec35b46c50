"""Managers: one per collection of the saltant API, with saltant-py's method names.

Differences from saltant-py, on purpose:

* ``list()`` URL-encodes its filters and follows every page (``next``) instead
  of asking for 2**63-1 objects in one page; list values become comma lists
  (for ``__in``), booleans ``true``/``false``, datetimes ISO 8601;
* ``get(name=...)`` keeps only exact matches and raises
  :class:`~.errors.SaltantNotFound` when there is none (never ``IndexError``);
* ``wait_until_finished`` has a deadline and polls adaptively;
* bodies are sent as JSON, so a list can be cleared with ``[]``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar
from urllib.parse import quote

from jobharness.backends.saltant import protocol
from jobharness.backends.saltant.bodies import (
    container_extra,
    encode_filters,
    executable_extra,
    instance_body,
    object_id,
    queue_body,
    task_type_body,
    whitelist_body,
)
from jobharness.backends.saltant.errors import BadHttpRequestError, SaltantNotFound
from jobharness.backends.saltant.models import (
    ContainerTaskInstance,
    ContainerTaskType,
    ExecutableTaskInstance,
    ExecutableTaskType,
    Model,
    TaskInstance,
    TaskQueue,
    TaskType,
    TaskWhitelist,
    User,
)
from jobharness.backends.saltant.protocol import DEFAULT_PAGE_SIZE
from jobharness.errors import ValidationError
from jobharness.jobs import OnTimeout, PollPolicy

if TYPE_CHECKING:
    from jobharness.backends.saltant.client import SaltantClient
    from jobharness.backends.saltant.job import SaltantJob

M = TypeVar("M", bound=Model)
T = TypeVar("T", bound=TaskType)
I = TypeVar("I", bound=TaskInstance)  # noqa: E741


class Manager(Generic[M]):
    """List and get the objects of one collection (``path``) as ``model`` instances."""

    path: ClassVar[str] = ""
    kind: ClassVar[str] = "object"
    model: type[M]

    def __init__(self, client: SaltantClient) -> None:
        self._client = client

    def _build(self, data: Any, source: str) -> M:
        return self.model.from_json(data, self, source)

    def _detail_path(self, key: object, suffix: str = "") -> str:
        return f"{self.path}{quote(str(key), safe='')}/{suffix}"

    def _one(self, method: str, path: str, expect: int, **kwargs: Any) -> M:
        data = self._client.call(method, path, expect=(expect,), **kwargs)
        return self._build(data, f"{method} {self._client.url(path)}")

    def iter(
        self, filters: Mapping[str, Any] | None = None, *, page_size: int | None = None
    ) -> Iterator[M]:
        """Yield every object that matches ``filters``, page after page."""
        source = f"GET {self._client.url(self.path)}"
        for page in self._client.pages(
            self.path, encode_filters(filters), page_size or DEFAULT_PAGE_SIZE
        ):
            for item in page:
                yield self._build(item, source)

    def list(
        self, filters: Mapping[str, Any] | None = None, *, page_size: int | None = None
    ) -> list[M]:
        """Every object that matches ``filters`` (django-filter names: ``name__startswith``...).

        Unknown filter names are ignored by the server, which then returns everything.
        """
        return list(self.iter(filters, page_size=page_size))

    def _get(self, key: object) -> M:
        return self._one("GET", self._detail_path(key), 200)


class UserManager(Manager[User]):
    """Users (read only)."""

    path = protocol.USERS
    kind = "user"
    model = User

    def get(self, username: str) -> User:
        """The user called ``username``; SaltantNotFound if there is none."""
        return self._get(username)


class NamedManager(Manager[M]):
    """``get(id=...)`` or ``get(name=...)`` and PUT/PATCH for types, queues and whitelists."""

    writable: ClassVar[tuple[str, ...]] = ()

    def get(self, id: int | None = None, name: str | None = None) -> M:
        """The object with this ``id`` or this ``name`` (exactly one of them)."""
        if (id is None) == (name is None):
            raise ValidationError(f"give the {self.kind}'s id or its name, not both nor neither")
        if id is not None:
            return self._get(object_id(id, "id"))
        matches = [obj for obj in self.iter({"name": name}) if getattr(obj, "name", None) == name]
        if not matches:
            raise SaltantNotFound(
                f"no {self.kind} named {name!r} on saltant at {self._client.base_api_url}",
                url=self._client.url(self.path),
            )
        return matches[0]

    def _send(self, method: str, id: int | None, body: Mapping[str, Any]) -> M:
        if id is None:
            return self._one("POST", self.path, 201, json=dict(body))
        return self._one(method, self._detail_path(object_id(id, "id")), 200, json=dict(body))

    def _patch(self, id: int, fields: Mapping[str, Any]) -> M:
        unknown = sorted(set(fields) - set(self.writable))
        if unknown:
            raise ValidationError(
                f"cannot patch {', '.join(unknown)} of a {self.kind}; "
                f"writable fields: {', '.join(self.writable)}"
            )
        body = {key: value for key, value in fields.items() if value is not None}
        return self._send("PATCH", id, body)


# -- task types --------------------------------------------------------------------------------


class TaskTypeManager(NamedManager[T]):
    """Task types of one kind: create, get by id or name, list, put."""

    def _body(
        self,
        name: str,
        command_to_run: str,
        description: str,
        environment_variables: Iterable[str] | None,
        required_arguments: Iterable[str] | None,
        required_arguments_default_values: Mapping[str, Any] | None,
        extra: Mapping[str, Any],
    ) -> dict[str, Any]:
        return task_type_body(
            name,
            command_to_run,
            description,
            environment_variables,
            required_arguments,
            required_arguments_default_values,
            extra,
        )


class ExecutableTaskTypeManager(TaskTypeManager[ExecutableTaskType]):
    """Executable task types (a command run as a process on the worker)."""

    path = protocol.EXECUTABLE_TASK_TYPES
    kind = "executable task type"
    model = ExecutableTaskType

    def create(
        self,
        name: str,
        command_to_run: str,
        description: str = "",
        environment_variables: Iterable[str] | None = None,
        required_arguments: Iterable[str] | None = None,
        required_arguments_default_values: Mapping[str, Any] | None = None,
        json_file_option: str | None = None,
    ) -> ExecutableTaskType:
        """Create an executable task type (``name`` is unique per kind)."""
        body = self._body(
            name,
            command_to_run,
            description,
            environment_variables,
            required_arguments,
            required_arguments_default_values,
            executable_extra(json_file_option),
        )
        return self._send("POST", None, body)

    def put(
        self,
        id: int,
        name: str,
        description: str = "",
        command_to_run: str = "",
        environment_variables: Iterable[str] | None = None,
        required_arguments: Iterable[str] | None = None,
        required_arguments_default_values: Mapping[str, Any] | None = None,
        json_file_option: str | None = None,
    ) -> ExecutableTaskType:
        """Replace every writable field of the task type ``id`` (PUT)."""
        body = self._body(
            name,
            command_to_run,
            description,
            environment_variables,
            required_arguments,
            required_arguments_default_values,
            executable_extra(json_file_option),
        )
        return self._send("PUT", id, body)


class ContainerTaskTypeManager(TaskTypeManager[ContainerTaskType]):
    """Container task types (Docker or Singularity)."""

    path = protocol.CONTAINER_TASK_TYPES
    kind = "container task type"
    model = ContainerTaskType

    def create(
        self,
        name: str,
        command_to_run: str,
        container_image: str,
        container_type: str,
        description: str = "",
        logs_path: str | None = None,
        results_path: str | None = None,
        environment_variables: Iterable[str] | None = None,
        required_arguments: Iterable[str] | None = None,
        required_arguments_default_values: Mapping[str, Any] | None = None,
    ) -> ContainerTaskType:
        """Create a container task type (``container_type`` is docker or singularity)."""
        body = self._body(
            name,
            command_to_run,
            description,
            environment_variables,
            required_arguments,
            required_arguments_default_values,
            container_extra(container_image, container_type, logs_path, results_path),
        )
        return self._send("POST", None, body)

    def put(
        self,
        id: int,
        name: str,
        description: str = "",
        command_to_run: str = "",
        environment_variables: Iterable[str] | None = None,
        required_arguments: Iterable[str] | None = None,
        required_arguments_default_values: Mapping[str, Any] | None = None,
        logs_path: str | None = None,
        results_path: str | None = None,
        container_image: str = "",
        container_type: str = "",
    ) -> ContainerTaskType:
        """Replace every writable field of the container task type ``id`` (PUT)."""
        body = self._body(
            name,
            command_to_run,
            description,
            environment_variables,
            required_arguments,
            required_arguments_default_values,
            container_extra(container_image, container_type, logs_path, results_path),
        )
        return self._send("PUT", id, body)


# -- queues and whitelists ---------------------------------------------------------------------


class TaskQueueManager(NamedManager[TaskQueue]):
    """Task queues: create, get by id or name, list, put, patch."""

    path = protocol.TASK_QUEUES
    kind = "task queue"
    model = TaskQueue
    writable = TaskQueue._writable

    def create(
        self,
        name: str,
        description: str = "",
        private: bool = False,
        runs_executable_tasks: bool = True,
        runs_docker_container_tasks: bool = True,
        runs_singularity_container_tasks: bool = True,
        active: bool = True,
        whitelists: Iterable[int] | None = None,
    ) -> TaskQueue:
        """Create a queue (``name`` is the queue workers consume: letters, digits, @+-_)."""
        return self._send("POST", None, queue_body(**locals()))

    def put(
        self,
        id: int,
        name: str,
        description: str = "",
        private: bool = False,
        runs_executable_tasks: bool = True,
        runs_docker_container_tasks: bool = True,
        runs_singularity_container_tasks: bool = True,
        active: bool = True,
        whitelists: Iterable[int] | None = None,
    ) -> TaskQueue:
        """Replace every writable field of the queue ``id`` (PUT)."""
        return self._send("PUT", id, queue_body(**locals()))

    def patch(self, id: int, **fields: Any) -> TaskQueue:
        """Change some fields of the queue ``id`` (PATCH); ``None`` values are left out."""
        return self._patch(id, fields)


class TaskWhitelistManager(NamedManager[TaskWhitelist]):
    """Task whitelists: create, get by id or name, list, put, patch."""

    path = protocol.TASK_WHITELISTS
    kind = "task whitelist"
    model = TaskWhitelist
    writable = TaskWhitelist._writable

    def create(
        self,
        name: str,
        description: str = "",
        whitelisted_container_task_types: Iterable[int] | None = None,
        whitelisted_executable_task_types: Iterable[int] | None = None,
    ) -> TaskWhitelist:
        """Create a whitelist of task type ids."""
        return self._send("POST", None, whitelist_body(**locals()))

    def put(
        self,
        id: int,
        name: str,
        description: str = "",
        whitelisted_container_task_types: Iterable[int] | None = None,
        whitelisted_executable_task_types: Iterable[int] | None = None,
    ) -> TaskWhitelist:
        """Replace every writable field of the whitelist ``id`` (PUT)."""
        return self._send("PUT", id, whitelist_body(**locals()))

    def patch(self, id: int, **fields: Any) -> TaskWhitelist:
        """Change some fields of the whitelist ``id`` (PATCH); ``None`` values are left out."""
        return self._patch(id, fields)


# -- task instances ----------------------------------------------------------------------------


class TaskInstanceManager(Manager[I]):
    """Task instances of one kind: create, get, list, clone, terminate, wait."""

    def get(self, uuid: str) -> I:
        """The task instance ``uuid``; SaltantNotFound if there is none of this kind."""
        return self._get(uuid)

    def create(
        self,
        task_type_id: int,
        task_queue_id: int,
        arguments: Mapping[str, Any] | None = None,
        name: str = "",
    ) -> I:
        """Start an instance of ``task_type_id`` on ``task_queue_id`` (sent once, never retried).

        The answer always says ``created``, whatever the server did meanwhile.
        """
        body = instance_body(task_type_id, task_queue_id, arguments, name)
        return self._one("POST", self.path, 201, json=body)

    def _action(self, uuid: str, action: str, expect: int, idempotent: bool = False) -> I:
        try:
            path = self._detail_path(uuid, f"{action}/")
            return self._one("POST", path, expect, idempotent=idempotent)
        except BadHttpRequestError as exc:
            if exc.status != 405:
                raise
            raise SaltantNotFound(
                f"POST {exc.url} -> 405: cannot {action} {self.kind} {uuid}: it does not exist "
                "or the server failed (saltant answers 405 with an empty body to both)",
                url=exc.url,
                status=405,
                body=exc.body,
                response=exc.response,
            ) from None

    def clone(self, uuid: str) -> I:
        """Start a copy of the instance ``uuid`` (name, type, queue and arguments); return it."""
        return self._action(uuid, "clone", 201)

    def clone_many(self, uuids: Iterable[str]) -> list[I]:
        """Clone each instance in turn; return the copies."""
        return [self.clone(uuid) for uuid in uuids]

    def terminate(self, uuid: str) -> I:
        """Ask the server to terminate ``uuid``; return the instance as it was at that moment.

        The state becomes ``terminated`` later, when a worker reports it (or never,
        on some servers); ``datetime_finished`` stays null for terminated instances.
        """
        return self._action(uuid, "terminate", 202, idempotent=True)

    def terminate_many(self, uuids: Iterable[str]) -> list[I]:
        """Terminate each instance in turn; return them as the server answered."""
        return [self.terminate(uuid) for uuid in uuids]

    def job(self, instance_or_uuid: I | str) -> SaltantJob:
        """A :class:`~.job.SaltantJob` for an instance (a UUID is fetched first)."""
        from jobharness.backends.saltant.job import SaltantJob

        if isinstance(instance_or_uuid, str):
            fetched = self.get(instance_or_uuid)
            return SaltantJob(fetched, default_timeout=self._client.wait_timeout, fresh=True)
        return SaltantJob(instance_or_uuid, default_timeout=self._client.wait_timeout)

    def start(
        self,
        task_type_id: int,
        task_queue_id: int,
        arguments: Mapping[str, Any] | None = None,
        name: str = "",
    ) -> SaltantJob:
        """:meth:`create`, returned as a job to wait for, cancel or assert on."""
        return self.job(self.create(task_type_id, task_queue_id, arguments, name))

    def wait_until_finished(
        self,
        uuid: str,
        refresh_period: float | None = None,
        *,
        timeout: float | None = None,
        poll: PollPolicy | None = None,
        on_timeout: OnTimeout | str = OnTimeout.FAIL,
    ) -> I:
        """Wait until ``uuid`` is successful, failed or terminated; return the instance.

        Unlike saltant-py, the wait has a deadline (``timeout``, default the
        client's ``wait_timeout``): then it raises :class:`~jobharness.errors.WaitTimeout`
        (``on_timeout="fail"``), terminates and raises (``"terminate"``), or returns
        the instance as it is (``"continue"``). ``refresh_period`` polls at a fixed
        interval; by default polling is adaptive (``poll`` or the client's).
        """
        job = self.job(uuid)
        if refresh_period is not None:
            poll = PollPolicy.fixed(refresh_period)
        job.wait(timeout, poll=poll or self._client.poll, on_timeout=on_timeout)
        instance: I = job.instance  # type: ignore[assignment]
        return instance


class ExecutableTaskInstanceManager(TaskInstanceManager[ExecutableTaskInstance]):
    """Executable task instances."""

    path = protocol.EXECUTABLE_TASK_INSTANCES
    kind = "executable task instance"
    model = ExecutableTaskInstance


class ContainerTaskInstanceManager(TaskInstanceManager[ContainerTaskInstance]):
    """Container task instances."""

    path = protocol.CONTAINER_TASK_INSTANCES
    kind = "container task instance"
    model = ContainerTaskInstance
