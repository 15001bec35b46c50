"""Task instances: start, get, clone, terminate, and the waits that log their details."""

from __future__ import annotations

import json
from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from jobharness.backends.saltant import STATE_MAP, SaltantJob, TaskInstance, TaskQueue, TaskType
from jobharness.jobs import Job
from robotlib._core.connections import UsesConnection
from robotlib._core.conversions import caller_id
from robotlib._core.jobs import StateKeywords, WaitKeywords
from robotlib._core.logging import log_body
from robotlib.saltant.connection import Kind, SaltantConnection

NAME_LIMIT = 200


class InstanceKeywords(UsesConnection[SaltantConnection]):
    """Starting task instances and asserting on them."""

    def _track(self, job: SaltantJob) -> SaltantJob:
        self.ctx.track(job)
        return job

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
        The instance is named ``<name or type>@<run id>/<caller>#<n>``, the caller
        naming the pabot process and the test, so JobLibrary's ``Reap Run`` finds it after a
        crash. ``kind=container`` starts a container task.

        | ${job}= | Start Task Instance | sleeper | jobs | seconds=1 |
        | ${job}= | Start Task Instance | sleeper | jobs | arguments=${{ {"seconds": 0.5} }} |
        """
        args = {**(arguments or {}), **more_arguments}
        type_id = self.connection.type_id(task_type, kind)
        label = name or (task_type.name if isinstance(task_type, TaskType) else str(task_type))
        caller = caller_id()  # carries the run id: a long label is cut, never the run id
        full_name = f"{label[: NAME_LIMIT - len(caller) - 1]}@{caller}"
        job = self.connection.instances(kind).start(
            type_id, self.connection.queue_id(queue), args, full_name
        )
        logger.info(f"started {job.summary()}")
        log_body("created", json.dumps(job.instance.to_json()))
        return self._track(job)

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
            job = self.connection.instances(kind).job(str(task_instance))
        self.ctx.job_log.changes(job)
        log_body("instance", json.dumps(job.instance.to_json()))
        return job

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
        self.ctx.job_log.changes(job)

    @keyword
    def clone_task_instance(self, job: SaltantJob) -> SaltantJob:
        """Start a copy of ``job`` (same type, queue, name and arguments); return its handle."""
        copy = job.manager.job(job.instance.clone())
        logger.info(f"cloned {job.id} as {copy.summary()}")
        return self._track(copy)


class SaltantStates(StateKeywords):
    """The shared state keywords; saltant's own state names are checked for typos."""

    native_states = tuple(STATE_MAP)


class SaltantWaits(WaitKeywords):
    """The shared waits, with each instance's name, arguments and times in its result table."""

    def result_rows(self, job: Job) -> list[tuple[str, Any]]:
        """Name, arguments and times of the instance."""
        return _result_rows(job.instance) if isinstance(job, SaltantJob) else []


def _result_rows(instance: TaskInstance) -> list[tuple[str, Any]]:
    finished = instance.datetime_finished.isoformat() if instance.datetime_finished else "-"
    return [
        ("name", instance.name),
        ("arguments", json.dumps(instance.arguments, sort_keys=True)),
        ("created", instance.datetime_created.isoformat()),
        ("finished", finished),
    ]
