"""Provisioning: task types, whitelists and queues, got or created by name."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TypeVar

from robot.api import logger
from robot.api.deco import keyword

from jobharness.backends.saltant import (
    BadHttpRequestError,
    SaltantClient,
    SaltantNotFound,
    TaskQueue,
    TaskType,
    TaskWhitelist,
)
from jobharness.backends.saltant.managers import NamedManager
from jobharness.backends.saltant.models import Model
from robotlib._core.connections import UsesConnection
from robotlib._core.logging import log_body
from robotlib.saltant.connection import SaltantConnection

M = TypeVar("M", bound=Model)


class ProvisioningKeywords(UsesConnection[SaltantConnection]):
    """``Create Executable Task Type``, ``Create Task Whitelist``, ``Create Task Queue``."""

    @property
    def client(self) -> SaltantClient:
        """The current saltant connection."""
        return self.connection.client

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
        executable = [self.connection.type_id(t, "executable") for t in executable_task_types]
        container = [self.connection.type_id(t, "container") for t in container_task_types]
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
            "whitelists": sorted(self.connection.whitelist_id(w) for w in whitelists),
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
