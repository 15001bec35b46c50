"""``Connect To Sandbox``: the configured server, or the embedded one started for the run."""

from __future__ import annotations

from datetime import timedelta

from robot.api import logger
from robot.api.deco import keyword

from jobharness.backends.sandbox import Sandbox
from jobharness.backends.sandbox.settings import SANDBOX_URL
from jobharness.backends.sandbox.target import sandbox_client
from jobharness.redaction import redact
from robotlib._core.connections import Connector
from robotlib._core.conversions import renamed_argument, seconds


class SandboxConnection(Connector):
    """Connections to sandbox servers; :attr:`client` is the current one (opened on first use)."""

    def connect_default(self, kind: str | None) -> None:
        """Connect as `Connect To Sandbox` does without arguments."""
        self.connect_to_sandbox()

    @keyword
    def connect_to_sandbox(
        self,
        url: str | None = None,
        alias: str | None = None,
        request_timeout: timedelta | None = None,
        verify: bool = True,
        retries: int = 3,
        timeout: timedelta | None = None,
        repeat_unknown: int = 0,
    ) -> int:
        """Open a connection to the sandbox at ``url`` and make it the current one.

        Without ``url``: the ``JOBHARNESS_SANDBOX_URL`` environment variable,
        else the ``${SANDBOX_URL}`` variable, else an embedded server started
        for this run. ``request_timeout`` bounds each HTTP call, retries
        included (default: the library's); ``timeout`` is its older,
        deprecated name. ``verify=False`` turns off TLS certificate checks.
        ``retries`` is how often a read whose answer was lost is tried again,
        with backoff; an execution the server refused as overloaded (503:
        nothing ran) is tried again until the request timeout, and
        ``retries=0`` turns all retrying off. ``repeat_unknown`` is how often
        an execution answered with status -1 (``UNKNOWN``) is sent again; keep
        the default 0 unless the commands are safe to run twice: -1 means
        either that the sandbox lost the container before the command started,
        or that the command did run and wrote output that is not UTF-8.
        Returns the connection's index; ``alias`` names it for
        `Switch Sandbox Connection`.

        | Connect To Sandbox |                           |              |
        | Connect To Sandbox | http://sandbox.local:7000 | alias=remote | request_timeout=2 min |
        | Connect To Sandbox | repeat_unknown=2          |              |
        """
        request_timeout = renamed_argument(
            "Connect To Sandbox", "timeout", "request_timeout", timeout, request_timeout
        )
        target = self.ctx.target({SANDBOX_URL.name: url})
        client = sandbox_client(
            target,
            request_timeout=seconds(request_timeout, self.request_timeout, "request_timeout"),
            verify=verify,
            retries=retries,
            repeat_unknown=repeat_unknown,
        )
        logger.info(f"connected to sandbox at {redact(client.url)} ({target.source})")
        return self.ctx.connections.register(client, alias)

    @property
    def client(self) -> Sandbox:
        """The current connection, opened with the defaults if there is none yet."""
        client: Sandbox = self.current()
        return client
