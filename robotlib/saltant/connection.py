"""``Connect To Saltant`` and the lookups every saltant keyword needs (types, queues by name)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from robot.api import logger
from robot.api.deco import keyword

from jobharness.backends.saltant import SaltantClient, TaskQueue, TaskType, TaskWhitelist
from jobharness.backends.saltant.managers import TaskInstanceManager, TaskTypeManager
from jobharness.backends.saltant.settings import (
    SALTANT_LOGS_DIR,
    SALTANT_PASSWORD,
    SALTANT_TOKEN,
    SALTANT_URL,
    SALTANT_USERNAME,
)
from jobharness.backends.saltant.target import saltant_client
from robotlib._core.connections import Connector
from robotlib._core.conversions import Secret, renamed_argument, seconds, secret_text

Kind = Literal["executable", "container"]


class SaltantConnection(Connector):
    """Connections to saltant servers; :attr:`client` is the current one (opened on first use)."""

    def connect_default(self, kind: str | None) -> None:
        """Connect as `Connect To Saltant` does without arguments."""
        self.connect_to_saltant()

    @keyword
    def connect_to_saltant(
        self,
        url: str | None = None,
        token: str | Secret | None = None,
        alias: str | None = None,
        request_timeout: timedelta | None = None,
        verify: bool = True,
        timeout: timedelta | None = None,
        logs_dir: str | None = None,
        username: str | None = None,
        password: str | Secret | None = None,
    ) -> int:
        """Open a connection to the saltant API at ``url`` with ``token``; make it current.

        ``url`` is the API root, ``/api/`` optional. Without ``url``: the
        ``JOBHARNESS_SALTANT_URL`` or ``SALTANT_API_URL`` environment variable,
        else the ``${SALTANT_URL}`` variable, else an embedded server started for
        this run (its token is used). ``token`` (a ``Secret`` or a string) is
        looked up the same way. The token is checked at once. ``request_timeout``
        bounds each HTTP call, retries included (``timeout`` is its older,
        deprecated name). ``logs_dir`` is the worker's log directory as seen
        from here (also ``JOBHARNESS_SALTANT_LOGS_DIR`` or ``${SALTANT_LOGS_DIR}``):
        with it, `Get Task Instance Output` shows what a job printed (the API
        has no logs). Returns the connection's index; ``alias`` names it
        for `Switch Saltant Connection`.

        With ``username`` and ``password`` (give the password as a ``Secret``, e.g.
        from ``%{SALTANT_PASSWORD}`` through a ``secret`` variable) the connection
        logs in with a JWT instead of a token and renews it when it expires; they
        are also looked up as ``JOBHARNESS_SALTANT_USERNAME`` and
        ``JOBHARNESS_SALTANT_PASSWORD`` or ``${SALTANT_USERNAME}`` and
        ``${SALTANT_PASSWORD}``. Without ``url`` the embedded server gets that user.

        | Connect To Saltant |                                |                |
        | Connect To Saltant | https://jobs.example.org/api/ | ${TOKEN}       | alias=prod |
        | Connect To Saltant | https://jobs.example.org/api/ | username=alice | password=${PW} |
        """
        request_timeout = renamed_argument(
            "Connect To Saltant", "timeout", "request_timeout", timeout, request_timeout
        )
        target = self.ctx.target(
            {
                SALTANT_URL.name: url,
                SALTANT_TOKEN.name: token,
                SALTANT_LOGS_DIR.name: logs_dir,
                SALTANT_USERNAME.name: username,
                SALTANT_PASSWORD.name: password,
            }
        )
        client = saltant_client(
            target,
            default_timeout=seconds(request_timeout, self.request_timeout, "request_timeout"),
            verify=verify,
            wait_timeout=self.ctx.default_timeout,
            # an embedded server started earlier may not know this user: ask it anyway
            username=username,
            password=secret_text(password) if username else None,
        )
        user = username or target.info.get("username")
        how = f"as {user} (JWT)" if user else "by token"
        logger.info(f"connected to saltant at {client.base_api_url} {how} ({target.source})")
        return self.ctx.connections.register(client, alias)

    @property
    def client(self) -> SaltantClient:
        """The current connection, opened with the defaults if there is none yet."""
        client: SaltantClient = self.current()
        return client

    def types(self, kind: Kind) -> TaskTypeManager[Any]:
        """The task type manager of ``kind``."""
        if kind == "container":
            return self.client.container_task_types
        return self.client.executable_task_types

    def instances(self, kind: Kind) -> TaskInstanceManager[Any]:
        """The task instance manager of ``kind``."""
        if kind == "container":
            return self.client.container_task_instances
        return self.client.executable_task_instances

    def type_id(self, task_type: str | int | TaskType, kind: Kind) -> int:
        """The id of a task type given by object, id or name."""
        if isinstance(task_type, TaskType):
            return task_type.id
        if isinstance(task_type, int) or str(task_type).isdigit():
            return int(task_type)
        return int(self.types(kind).get(name=str(task_type)).id)

    def whitelist_id(self, whitelist: str | int | TaskWhitelist) -> int:
        """The id of a whitelist given by object, id or name."""
        if isinstance(whitelist, TaskWhitelist):
            return whitelist.id
        if isinstance(whitelist, int) or str(whitelist).isdigit():
            return int(whitelist)
        return self.client.task_whitelists.get(name=str(whitelist)).id

    def queue_id(self, queue: str | int | TaskQueue) -> int:
        """The id of a queue given by object, id or name."""
        if isinstance(queue, TaskQueue):
            return queue.id
        if isinstance(queue, int) or str(queue).isdigit():
            return int(queue)
        return self.client.task_queues.get(name=str(queue)).id
