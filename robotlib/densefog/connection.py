"""``Connect To Densefog``: the configured service, or the embedded demo started for the run."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from jobharness.backends.densefog import DensefogClient
from jobharness.backends.densefog.settings import (
    DENSEFOG_APP,
    DENSEFOG_DB,
    DENSEFOG_HEADERS,
    DENSEFOG_JOB_TABLE,
    DENSEFOG_JOBS_ACTION,
    DENSEFOG_URL,
    DENSEFOG_WORKER_TICK,
)
from jobharness.backends.densefog.target import densefog_client
from robotlib._core.connections import Connector
from robotlib._core.conversions import Secret, seconds


class DensefogConnection(Connector):
    """Connections to densefog services; :attr:`client` is the current one (opened on first use)."""

    def connect_default(self, kind: str | None) -> None:
        """Connect as `Connect To Densefog` does without arguments."""
        self.connect_to_densefog()

    @keyword
    def connect_to_densefog(
        self,
        url: str | None = None,
        headers: dict[str, str] | str | Secret | None = None,
        job_table: str | Secret | None = None,
        jobs_action: str | None = None,
        alias: str | None = None,
        request_timeout: timedelta | None = None,
        verify: bool = True,
        db: str | Secret | None = None,
        app: str | None = None,
        worker_tick: timedelta | None = None,
    ) -> int:
        """Open a connection to the densefog-based service at ``url``; make it current.

        Without ``url``: the ``JOBHARNESS_DENSEFOG_URL`` environment variable,
        else the ``${DENSEFOG_URL}`` variable, else the embedded demo service
        started for this run. ``headers`` are sent with every action and never
        logged: a dictionary, or ``Name: value; Name: value`` text (a ``Secret``
        too), also from ``JOBHARNESS_DENSEFOG_HEADERS`` or ``${DENSEFOG_HEADERS}``.

        Jobs are read from the job table when its DSN is known (``job_table``,
        ``JOBHARNESS_DENSEFOG_JOB_TABLE``, ``${DENSEFOG_JOB_TABLE}``; the embedded
        service gives its own), else through ``jobs_action`` (default
        ``DescribeJobs``; ``none`` if the service has none).

        For the embedded service only: ``db`` is ``sqlite`` (default), ``mariadb``
        (a private mariadbd) or a DSN; ``app`` a module adding actions and job
        functions; ``worker_tick`` how often its worker picks jobs (densefog: 2 s).
        Each has its ``DENSEFOG_...`` variable and ``JOBHARNESS_DENSEFOG_...``
        environment variable. Returns the connection's index; ``alias`` names it
        for `Switch Densefog Connection`.

        | Connect To Densefog |                          |                                  |
        | Connect To Densefog | https://iaas.example.org/ | headers=${AUTH}    | alias=prod |
        | Connect To Densefog | worker_tick=0.2 s         | app=${CURDIR}/myapp.py |
        """
        tick = seconds(worker_tick, 0.0, "worker_tick") if worker_tick is not None else None
        header_text: Any = headers
        if isinstance(headers, dict):
            import json

            header_text = json.dumps(headers)
        target = self.ctx.target(
            {
                DENSEFOG_URL.name: url,
                DENSEFOG_HEADERS.name: header_text,
                DENSEFOG_JOB_TABLE.name: job_table,
                DENSEFOG_JOBS_ACTION.name: jobs_action,
                DENSEFOG_DB.name: db,
                DENSEFOG_APP.name: app,
                DENSEFOG_WORKER_TICK.name: tick,
            }
        )
        client = densefog_client(
            target,
            request_timeout=seconds(request_timeout, self.request_timeout, "request_timeout"),
            verify=verify,
            wait_timeout=self.ctx.default_timeout,
        )
        logger.info(f"connected to {client!r} ({target.source})")
        return self.ctx.connections.register(client, alias)

    @property
    def client(self) -> DensefogClient:
        """The current connection, opened with the defaults if there is none yet."""
        client: DensefogClient = self.current()
        return client
