"""Robot Framework keywords for saltant: provision task types and queues, run task instances."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, Literal, TypeVar

from robot.api import logger
from robot.api.deco import keyword, library

from jobharness.backends.saltant import (
    STATE_MAP,
    BadHttpRequestError,
    SaltantClient,
    SaltantJob,
    SaltantNotFound,
    TaskInstance,
    TaskQueue,
    TaskType,
    TaskWhitelist,
)
from jobharness.backends.saltant.managers import (
    NamedManager,
    TaskInstanceManager,
    TaskTypeManager,
)
from jobharness.backends.saltant.models import Model
from jobharness.backends.saltant.settings import (
    SALTANT_TOKEN,
    SALTANT_URL,
    embedded_server_args,
)
from jobharness.cleanup import CleanupPolicy
from jobharness.errors import ConfigurationError
from jobharness.jobs import DEFAULT_TIMEOUT, JobResult, JobState
from robotlib._common import (
    BackendLibrary,
    OnTimeoutName,
    Secret,
    caller_id,
    log_body,
    log_result,
    robot_setting,
    seconds,
    wait_and_log,
)

TOKEN_VARIABLE = "${SALTANT_TOKEN}"
DEFAULT_REQUEST_TIMEOUT = 90.0
NAME_LIMIT = 200

M = TypeVar("M", bound=Model)
Kind = Literal["executable", "container"]


@library(scope="GLOBAL", listener="SELF", auto_keywords=False)
class SaltantLibrary(BackendLibrary):
    """Provision saltant task types and queues, start task instances and assert on them.

    == Connecting ==

    `Connect To Saltant` with a URL and a token talks to that server. Without
    a URL it looks at the ``JOBHARNESS_SALTANT_URL`` and ``SALTANT_API_URL``
    environment variables, then at the ``${SALTANT_URL}`` Robot variable; the
    token likewise comes from ``JOBHARNESS_SALTANT_TOKEN``, ``SALTANT_AUTH_TOKEN``
    or ``${SALTANT_TOKEN}``. When no URL is set, an embedded saltant server is
    started on 127.0.0.1 for the run, with a fresh admin token. Keywords used
    before any `Connect To Saltant` connect that way on their own. Tokens are
    never logged; pass them as Robot ``Secret`` values where you can.

    == Provisioning ==

    A task instance needs a task type, and a queue whose whitelist holds that
    type: `Create Executable Task Type`, `Create Task Whitelist`, `Create Task Queue`.
    They get or create by name, so suites (and parallel pabot processes) may
    run them again: an existing object is reused and updated where it differs.

    == Task instances ==

    `Start Task Instance` returns a job handle, also usable with JobLibrary's
    keywords. Its name carries the caller (pabot process and test), so parallel
    runs can be told apart on the server. Job states are ``pending`` (saltant
    ``created``/``published``), ``running``, ``succeeded`` (``successful``),
    ``failed`` and ``cancelled`` (``terminated``); a state the server invents is
    kept as it is and counts as running. Every wait has a deadline.

    == Cleanup ==

    Task instances a test started and left unfinished are terminated when the
    test ends (library argument ``cleanup=test``, the default), when the suite
    ends (``suite``) or not at all (``never``); also after a failure, a
    ``[Timeout]`` or Ctrl-C.

    == Example ==

    | ***** Settings *****
    | Library    robotlib.SaltantLibrary
    |
    | ***** Test Cases *****
    | Sleeper Succeeds
    |     Create Executable Task Type    sleeper    /usr/bin/python3 ${CURDIR}/sleeper.py
    |     ...    required_arguments=${{ ["seconds"] }}
    |     Create Task Whitelist    sleepers    executable_task_types=sleeper
    |     Create Task Queue    jobs    whitelists=sleepers
    |     ${job}=    Start Task Instance    sleeper    jobs    seconds=1
    |     Wait For Task Instance    ${job}    timeout=30 s
    |     Task Instance State Should Be    ${job}    successful
    """

    backend = "saltant"

    def __init__(
        self,
        cleanup: CleanupPolicy = CleanupPolicy.TEST,
        timeout: timedelta = timedelta(seconds=DEFAULT_TIMEOUT),
        request_timeout: timedelta = timedelta(seconds=DEFAULT_REQUEST_TIMEOUT),
    ) -> None:
        """``cleanup`` says when unfinished task instances are terminated (``test``,
        ``suite`` or ``never``); ``timeout`` is the default of every wait and
        ``request_timeout`` the limit of each HTTP request.
        """
        super().__init__(cleanup=cleanup, timeout=timeout)
        self.request_timeout = seconds(request_timeout, DEFAULT_REQUEST_TIMEOUT)

    # -- connections -------------------------------------------------------------------

    @keyword
    def connect_to_saltant(
        self,
        url: str | None = None,
        token: str | Secret | None = None,
        alias: str | None = None,
        timeout: timedelta | None = None,
        verify: bool = True,
    ) -> int:
        """Open a connection to the saltant API at ``url`` with ``token``; make it current.

        ``url`` is the API root, ``/api/`` optional. Without ``url``: the
        ``JOBHARNESS_SALTANT_URL`` or ``SALTANT_API_URL`` environment variable,
        else the ``${SALTANT_URL}`` variable, else an embedded server started for
        this run (its token is used). ``token`` (a ``Secret`` or a string) is
        looked up the same way. The token is checked at once. ``timeout`` is the
        HTTP request timeout. Returns the connection's index; ``alias`` names it
        for `Switch Saltant Connection`.

        | Connect To Saltant |                                 |                 |
        | Connect To Saltant | https://jobs.example.org/api/  | ${TOKEN}        | alias=prod |
        """
        resolved = robot_setting(SALTANT_URL, url)
        logs_dir = None
        if resolved.value is None:
            target, secret, where = self._embedded()
            logs_dir = self._servers[self.backend].info.get("logs_dir")
        else:
            found = robot_setting(SALTANT_TOKEN, token).value
            if not found:
                raise ConfigurationError(
                    f"saltant URL {resolved.value} ({resolved.source}) needs a token: pass "
                    "token=, or set JOBHARNESS_SALTANT_TOKEN, SALTANT_AUTH_TOKEN or "
                    f"{TOKEN_VARIABLE}"
                )
            target, secret, where = resolved.value, found, resolved.source
        client = SaltantClient(
            target,
            secret,
            seconds(timeout, self.request_timeout),
            verify=verify,
            wait_timeout=self.default_timeout,
            logs_dir=logs_dir,
        )
        logger.info(f"connected to saltant at {client.base_api_url} ({where})")
        return int(self.connections.register(client, alias))

    def _embedded(self) -> tuple[str, str, str]:
        existing = self._servers.get(self.backend)
        if existing is not None:
            return existing.url, str(existing.info["token"]), "embedded server"
        _, args = embedded_server_args()
        server = self.embedded_server(args=args)
        return server.url, str(server.info["token"]), "embedded server"

    @keyword
    def switch_saltant_connection(self, index_or_alias: str) -> int:
        """Make the connection ``index_or_alias`` current; return the previous one's index."""
        previous = self.connections.current_index
        self.connections.switch(index_or_alias)
        return int(previous) if previous is not None else 0

    @keyword
    def close_all_saltant_connections(self) -> None:
        """Close every saltant connection; the next keyword connects again as the first time.

        Task instances already started keep their own connection for cleanup.
        """
        self.connections.close_all(closer_method="close")

    @property
    def client(self) -> SaltantClient:
        """The current connection, opened with the defaults if there is none yet."""
        if not self.connections:
            self.connect_to_saltant()
        client: SaltantClient = self.connections.current
        return client

    def _types(self, kind: Kind) -> TaskTypeManager[Any]:
        if kind == "container":
            return self.client.container_task_types
        return self.client.executable_task_types

    def _instances(self, kind: Kind) -> TaskInstanceManager[Any]:
        if kind == "container":
            return self.client.container_task_instances
        return self.client.executable_task_instances

    # -- provisioning ------------------------------------------------------------------

    @keyword
    def create_executable_task_type(
        self,
        name: str,
        command: str,
        required_arguments: Sequence[str] = (),
        defaults: dict[str, Any] | None = None,
        description: str = "",
        environment_variables: Sequence[str] = (),
        json_file_option: str | None = None,
    ) -> TaskType:
        """Get or create the executable task type ``name`` running ``command``; return it.

        The command runs without a shell on the worker; non-empty arguments are
        appended as one JSON argument (or written to a file given after
        ``json_file_option``). ``required_arguments`` names the arguments a task
        instance must have; ``defaults`` gives values for some of them. An existing
        type of that name is updated (PUT) when its definition differs.

        | Create Executable Task Type | sleeper | /usr/bin/python3 ${CURDIR}/sleeper.py |
        """
        wanted: dict[str, Any] = {
            "command_to_run": command,
            "description": description,
            "environment_variables": list(environment_variables),
            "required_arguments": list(required_arguments),
            "required_arguments_default_values": dict(defaults or {}),
            "json_file_option": json_file_option,
        }
        manager = self.client.executable_task_types
        existing = self._find(manager, name)
        if existing is None:
            try:
                created = manager.create(name, **wanted)
                return self._logged("created executable task type", created)
            except BadHttpRequestError as exc:
                if exc.status != 400 or "already exists" not in exc.body:
                    raise
                existing = manager.get(name=name)  # created meanwhile by a parallel run
        if any(getattr(existing, key) != value for key, value in wanted.items()):
            updated = manager.put(existing.id, name, **wanted)
            return self._logged("updated executable task type", updated)
        return self._logged("reused executable task type", existing)

    @keyword
    def create_task_whitelist(
        self,
        name: str,
        executable_task_types: Sequence[str | int] = (),
        container_task_types: Sequence[str | int] = (),
        description: str = "",
    ) -> TaskWhitelist:
        """Get or create the whitelist ``name`` holding the given task types; return it.

        Types are given by name or id. An existing whitelist gains the types it lacks.

        | Create Task Whitelist | sleepers | executable_task_types=sleeper |
        """
        executable = [self._type_id(t, "executable") for t in executable_task_types]
        container = [self._type_id(t, "container") for t in container_task_types]
        manager = self.client.task_whitelists
        existing = self._find(manager, name)
        if existing is None:
            try:
                created = manager.create(name, description, container, executable)
                return self._logged("created task whitelist", created)
            except BadHttpRequestError as exc:
                if exc.status != 400 or "already exists" not in exc.body:
                    raise
                existing = manager.get(name=name)
        have_e = existing.whitelisted_executable_task_types
        have_c = existing.whitelisted_container_task_types
        if set(executable) - set(have_e) or set(container) - set(have_c):
            updated = manager.patch(
                existing.id,
                whitelisted_executable_task_types=sorted({*have_e, *executable}),
                whitelisted_container_task_types=sorted({*have_c, *container}),
            )
            return self._logged("extended task whitelist", updated)
        return self._logged("reused task whitelist", existing)

    @keyword
    def create_task_queue(
        self,
        name: str,
        whitelists: Sequence[str | int] = (),
        description: str = "",
        private: bool = False,
        active: bool = True,
        runs_executable_tasks: bool = True,
        runs_docker_container_tasks: bool = True,
        runs_singularity_container_tasks: bool = True,
    ) -> TaskQueue:
        """Get or create the task queue ``name`` with the given whitelists; return it.

        ``name`` is also the queue workers consume (letters, digits and ``@+-_``).
        Whitelists are given by name or id. An existing queue is updated (PATCH)
        when its whitelists, activity or kinds differ.

        | Create Task Queue | jobs | whitelists=sleepers |
        """
        wanted: dict[str, Any] = {
            "whitelists": sorted(self._whitelist_id(w) for w in whitelists),
            "private": private,
            "active": active,
            "runs_executable_tasks": runs_executable_tasks,
            "runs_docker_container_tasks": runs_docker_container_tasks,
            "runs_singularity_container_tasks": runs_singularity_container_tasks,
        }
        manager = self.client.task_queues
        existing = self._find(manager, name)
        if existing is None:
            try:
                created = manager.create(name, description, **wanted)
                return self._logged("created task queue", created)
            except BadHttpRequestError as exc:
                if exc.status != 400 or "already exists" not in exc.body:
                    raise
                existing = manager.get(name=name)
        changed = {k: v for k, v in wanted.items() if getattr(existing, k) != v}
        if "whitelists" in changed and not wanted["whitelists"]:
            changed.pop("whitelists")  # no whitelist asked for: keep the existing ones
        if changed:
            return self._logged("updated task queue", manager.patch(existing.id, **changed))
        return self._logged("reused task queue", existing)

    def _find(self, manager: NamedManager[M], name: str) -> M | None:
        try:
            return manager.get(name=name)
        except SaltantNotFound:
            return None

    def _logged(self, what: str, obj: M) -> M:
        logger.info(f"{what} {getattr(obj, 'name', '')!r} (id {getattr(obj, 'id', '?')})")
        log_body(what, json.dumps(obj.to_json()))
        return obj

    def _type_id(self, task_type: str | int | TaskType, kind: Kind) -> int:
        if isinstance(task_type, TaskType):
            return task_type.id
        if isinstance(task_type, int) or str(task_type).isdigit():
            return int(task_type)
        return int(self._types(kind).get(name=str(task_type)).id)

    def _whitelist_id(self, whitelist: str | int | TaskWhitelist) -> int:
        if isinstance(whitelist, TaskWhitelist):
            return whitelist.id
        if isinstance(whitelist, int) or str(whitelist).isdigit():
            return int(whitelist)
        return self.client.task_whitelists.get(name=str(whitelist)).id

    def _queue_id(self, queue: str | int | TaskQueue) -> int:
        if isinstance(queue, TaskQueue):
            return queue.id
        if isinstance(queue, int) or str(queue).isdigit():
            return int(queue)
        return self.client.task_queues.get(name=str(queue)).id

    # -- task instances ----------------------------------------------------------------

    @keyword
    def start_task_instance(
        self,
        task_type: str | int | TaskType,
        queue: str | int | TaskQueue,
        *,
        name: str | None = None,
        kind: Kind = "executable",
        arguments: dict[str, Any] | None = None,
        **more_arguments: Any,
    ) -> SaltantJob:
        """Start an instance of ``task_type`` on ``queue``; return its job handle.

        Type and queue are given by name, id or object. Arguments come from the
        ``arguments`` dictionary and from free named arguments (``seconds=2``;
        Robot passes them as strings, use ``arguments=`` for other types).
        The instance is named ``<name or type>@<caller>``, the caller naming the
        pabot process and the test. ``kind=container`` starts a container task.

        | ${job}= | Start Task Instance | sleeper | jobs | seconds=1 |
        | ${job}= | Start Task Instance | sleeper | jobs | arguments=${{ {"seconds": 0.5} }} |
        """
        args = {**(arguments or {}), **more_arguments}
        type_id = self._type_id(task_type, kind)
        label = name or (task_type.name if isinstance(task_type, TaskType) else str(task_type))
        full_name = f"{label}@{caller_id()}"[:NAME_LIMIT]
        job = self._instances(kind).start(type_id, self._queue_id(queue), args, full_name)
        logger.info(f"started {job.summary()}")
        log_body("created", json.dumps(job.instance.to_json()))
        return self._track(job)

    def _track(self, job: SaltantJob) -> SaltantJob:
        self.track(job)
        return job

    @keyword
    def get_task_instance(
        self, task_instance: SaltantJob | str, kind: Kind = "executable"
    ) -> SaltantJob:
        """A job handle with the instance's current state, from a job handle or a UUID.

        A handle fetched by UUID is not terminated at cleanup: this test did not start it.
        """
        if isinstance(task_instance, SaltantJob):
            job = task_instance
            if job.done:
                job.instance.sync()  # a final state does not change, the rest may
            else:
                job.refresh()
        else:
            job = self._instances(kind).job(str(task_instance))
        self.job_log.changes(job)
        log_body("instance", json.dumps(job.instance.to_json()))
        return job

    @keyword
    def wait_for_task_instance(
        self,
        job: SaltantJob,
        timeout: timedelta | None = None,
        poll: timedelta | None = None,
        on_timeout: OnTimeoutName = "fail",
    ) -> JobResult:
        """Wait until ``job`` is successful, failed or terminated; return its result.

        ``timeout`` defaults to the library's. ``poll`` caps the polling interval
        (polling starts fast and backs off). When the time is up: ``fail`` fails
        naming the instance and its last state, ``terminate`` terminates it and
        fails, ``continue`` returns the result as it is. A failed instance does
        not fail this keyword: assert with `Task Instance State Should Be`.

        | ${result}= | Wait For Task Instance | ${job} | timeout=1 min |
        """
        return self.wait_for_task_instances(job, timeout=timeout, poll=poll, on_timeout=on_timeout)[
            0
        ]

    @keyword
    def wait_for_task_instances(
        self,
        *jobs: SaltantJob,
        timeout: timedelta | None = None,
        poll: timedelta | None = None,
        on_timeout: OnTimeoutName = "fail",
    ) -> list[JobResult]:
        """Wait until every job is finished; return their results in the same order.

        Every poll round asks the server once for all of them (one list request),
        not once per instance.

        | @{results}= | Wait For Task Instances | ${a} | ${b} | ${c} | timeout=2 min |
        """
        wait_and_log(
            list(jobs),
            timeout,
            self.default_timeout,
            job_log=self.job_log,
            poll=poll,
            on_timeout=on_timeout,
        )
        results = [job.result for job in jobs]
        for job, result in zip(jobs, results, strict=True):
            log_result(result, _result_rows(job.instance))
        return results

    @keyword
    def task_instance_state_should_be(
        self, job: SaltantJob, expected: str, refresh: bool = True
    ) -> None:
        """Fail unless the job's state is ``expected``.

        ``expected`` is a saltant state (``successful``, ``terminated``, ...) or a
        job state (``succeeded``, ``cancelled``, ...). With ``refresh`` (default)
        the server is asked first.

        | Task Instance State Should Be | ${job} | successful |
        | Task Instance State Should Be | ${job} | failed     | refresh=False |
        """
        if refresh:
            job.refresh()
            self.job_log.changes(job)
        wanted = expected.strip().lower()
        if wanted in STATE_MAP:
            actual = job.native_state
        elif wanted in {state.value for state in JobState}:
            actual = job.state.value
        else:
            raise ConfigurationError(
                f"unknown state {expected!r}: use one of {', '.join(STATE_MAP)} "
                f"or {', '.join(s.value for s in JobState)}"
            )
        if actual != wanted:
            raise AssertionError(f"{job.summary()}: expected state {wanted!r}, got {actual!r}")

    @keyword
    def task_instance_arguments_should_be(
        self, job: SaltantJob, expected: dict[str, Any] | None = None, **more: Any
    ) -> None:
        """Fail unless the instance's arguments (defaults filled in by the server) equal these.

        Values compare as they are, and as strings when the expected one is a
        string (Robot's free named arguments are strings).

        | Task Instance Arguments Should Be | ${job} | seconds=1 | exit_code=0 |
        | Task Instance Arguments Should Be | ${job} | ${{ {"seconds": 1, "exit_code": 0} }} |
        """
        wanted = {**(expected or {}), **more}
        actual = job.instance.arguments
        same = set(wanted) == set(actual) and all(
            actual[key] == value or (isinstance(value, str) and str(actual[key]) == value)
            for key, value in wanted.items()
        )
        if not same:
            raise AssertionError(
                f"{job.summary()}: expected arguments {json.dumps(wanted, sort_keys=True)}, "
                f"got {json.dumps(actual, sort_keys=True)}"
            )

    @keyword
    def terminate_task_instance(self, job: SaltantJob) -> None:
        """Ask the server to terminate ``job`` (nothing happens if it is already finished).

        The state becomes ``terminated`` once a worker reports it: wait for it.
        """
        if job.cancel():
            logger.info(f"terminate requested for {job.summary()}")
        else:
            logger.info(f"not terminated, already finished: {job.summary()}")
        self.job_log.changes(job)

    @keyword
    def clone_task_instance(self, job: SaltantJob) -> SaltantJob:
        """Start a copy of ``job`` (same type, queue, name and arguments); return its handle."""
        copy = job.manager.job(job.instance.clone())
        logger.info(f"cloned {job.id} as {copy.summary()}")
        return self._track(copy)


def _result_rows(instance: TaskInstance) -> list[tuple[str, Any]]:
    finished = instance.datetime_finished.isoformat() if instance.datetime_finished else "-"
    return [
        ("name", instance.name),
        ("arguments", json.dumps(instance.arguments, sort_keys=True)),
        ("created", instance.datetime_created.isoformat()),
        ("finished", finished),
    ]
