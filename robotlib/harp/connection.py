"""Connections to the harp dispatcher and to harpd, two kinds in one library."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from jobharness.backends.harp import HarpCaller, HarpServer
from jobharness.backends.harp.settings import (
    HARP_DISPATCHER,
    HARP_HOST,
    HARPD_CA_FILE,
    HARPD_PASSWORD,
    HARPD_URL,
    HARPD_USER,
)
from jobharness.backends.harp.target import HarpTargets
from robotlib._core.connections import ConnectionKeywords, Connector
from robotlib._core.context import LibraryContext
from robotlib._core.conversions import Secret, renamed_argument, robot_setting, seconds

DISPATCHER = "dispatcher"
HARPD = "harpd"


class HarpConnection(Connector):
    """``Connect To Harp Dispatcher`` and ``Connect To Harpd``; the current ones on demand."""

    def __init__(self, context: LibraryContext, request_timeout: float, **names: str) -> None:
        super().__init__(context, request_timeout, **names)
        self.host_names: dict[int, str] = {}

    def connect_default(self, kind: str | None) -> None:
        """Connect to the dispatcher or harpd as the keywords do without arguments."""
        if kind == HARPD:
            self.connect_to_harpd()
        else:
            self.connect_to_harp_dispatcher()

    def _targets(self, explicit: dict[str, Any]) -> HarpTargets:
        return HarpTargets(self.ctx.target(explicit))

    @keyword
    def connect_to_harp_dispatcher(
        self,
        address: str | None = None,
        alias: str | None = None,
        host: str | None = None,
        request_timeout: timedelta | None = None,
        timeout: timedelta | None = None,
    ) -> int:
        """Connect to the harp dispatcher at ``address`` (``host:port`` or ``tcp://host:port``).

        Without ``address``: ``JOBHARNESS_HARP_DISPATCHER``, else ``${HARP_DISPATCHER}``,
        else an embedded dispatcher (with an embedded harpd as host ``local``).
        ``host`` is the default target host name of `Submit Harp Call` (default:
        ``JOBHARNESS_HARP_HOST``, ``${HARP_HOST}`` or ``local``). ``request_timeout``
        bounds connecting and each immediate reply (``timeout`` is its older,
        deprecated name). Returns the connection index; ``alias`` names it for
        the ``dispatcher`` argument of other keywords.

        | Connect To Harp Dispatcher |                      |              |
        | Connect To Harp Dispatcher | harp.example.org:3502 | alias=prod | host=web01 |
        """
        request_timeout = renamed_argument(
            "Connect To Harp Dispatcher", "timeout", "request_timeout", timeout, request_timeout
        )
        targets = self._targets({HARP_DISPATCHER.name: address})
        caller = targets.caller(
            request_timeout=seconds(request_timeout, self.request_timeout, "request_timeout"),
            wait_timeout=self.ctx.default_timeout,
        )
        name = host or robot_setting(HARP_HOST).value or targets.host_name
        index = self.ctx.connections.register(caller, alias, DISPATCHER)
        self.host_names[index] = name
        logger.info(
            f"connected to harp dispatcher at {caller.url} ({targets.source}); host {name!r}"
        )
        return index

    @keyword
    def connect_to_harpd(
        self,
        url: str | None = None,
        user: str | None = None,
        password: str | Secret | None = None,
        ca_file: str | None = None,
        alias: str | None = None,
        verify: bool = True,
        allow_old_tls: bool = False,
        request_timeout: timedelta | None = None,
        timeout: timedelta | None = None,
    ) -> int:
        """Connect to harpd at ``url`` (``host:port`` or ``tls://host:port``) as ``user``.

        Without ``url``: ``JOBHARNESS_HARPD_URL``, else ``${HARPD_URL}``, else the
        embedded harpd (and its generated login and CA). ``user``, ``password``
        (a ``Secret`` or a string, never logged) and ``ca_file`` are looked up the
        same way. The certificate is verified against ``ca_file`` (else the system
        trust store); ``verify=False`` turns that off and ``allow_old_tls=True``
        allows TLS 1.0/1.1 for old daemons; both are logged as warnings.
        ``request_timeout`` bounds connecting and the wait for each reply line
        (``timeout`` is its older, deprecated name). Returns the connection
        index; ``alias`` names it for the ``connection`` argument of `Call Harp Procedure`.

        | Connect To Harpd |                     |        |              |
        | Connect To Harpd | 10.0.0.5:4306 | tester | ${PASSWORD} | ca_file=${CA} |
        """
        request_timeout = renamed_argument(
            "Connect To Harpd", "timeout", "request_timeout", timeout, request_timeout
        )
        targets = self._targets(
            {
                HARPD_URL.name: url,
                HARPD_USER.name: user,
                HARPD_PASSWORD.name: password,
                HARPD_CA_FILE.name: ca_file,
            }
        )
        target = targets.harpd_target()
        server = target.server(
            verify=verify,
            allow_old_tls=allow_old_tls,
            request_timeout=seconds(request_timeout, self.request_timeout, "request_timeout"),
        )
        logger.info(f"connected to harpd at {server.url} as {target.user!r} ({targets.source})")
        return self.ctx.connections.register(server, alias, HARPD)

    def caller(self, dispatcher: str | None) -> tuple[HarpCaller, str]:
        """The dispatcher connection ``dispatcher`` (or the current one) and its host name."""
        caller: HarpCaller = (
            self.current(DISPATCHER)
            if dispatcher is None
            else self.ctx.connections.get(dispatcher, DISPATCHER)
        )
        index = self.ctx.connections.index(dispatcher, DISPATCHER)
        return caller, self.host_names.get(index, "local")

    def harpd(self, connection: str | None) -> HarpServer:
        """The harpd connection ``connection`` (or the current one)."""
        server: HarpServer = (
            self.current(HARPD)
            if connection is None
            else self.ctx.connections.get(connection, HARPD)
        )
        return server


class HarpConnectionKeywords(ConnectionKeywords):
    """The shared connection keywords; closing also forgets the dispatchers' host names."""

    def __init__(self, context: LibraryContext, connection: HarpConnection, **names: str) -> None:
        super().__init__(context, **names)
        self.connection = connection

    @keyword("Close All {noun} Connections")
    def close_all_connections(self) -> None:
        """Forget every dispatcher and harpd connection; the next keyword connects anew.

        Calls already submitted keep running (cleanup still cancels them).
        """
        super().close_all_connections()
        self.connection.host_names.clear()
