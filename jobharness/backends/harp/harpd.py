"""Client of harpd, the daemon that runs procedures: direct, synchronous calls over TLS.

Usage::

    server = HarpServer("10.0.0.5", "tester", password, ca_file="ca.pem")
    server.add(2, 40)                    # -> {"sum": 42, ...}
    for item in server.count(3):         # a streaming procedure
        ...                              # {"i": 0}, {"i": 1}, {"i": 2}, then Result({"count": 3})

Errors, consistently (the seed client mixed them up after the acknowledgement):

* the procedure raised -> :class:`RemoteException` (also from inside a stream);
* harpd reported an error -> :class:`RemoteError`, before the acknowledgement
  (``auth_error`` as :class:`RemoteAuthError`, ``no_such_procedure``, ...) and
  after it (``timeout``, ``invalid_message``, ``shutdown``), in a stream or not;
* harpd unreachable, TLS refused, connection cut -> a
  :class:`~jobharness.errors.TransportError` naming ``host:port``.

The password is sent inside the request only; it never appears in logs or errors.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from typing import Any

from jobharness.backends.harp.outcome import Outcome, Result, require_terminal
from jobharness.backends.harp.protocol import (
    HARPD_PORT,
    call_arguments,
    harpd_request,
)
from jobharness.backends.harp.tls import client_context
from jobharness.compat import UNSET, RequestTimeoutAttributes, renamed
from jobharness.deadline import Deadline, parse_timeout, request_deadline
from jobharness.errors import ConfigurationError, ConnectionLost, ProtocolError
from jobharness.redaction import Redactor, snippet
from jobharness.transport.jsonlines import (
    READ_SLICE,
    JsonLinesClient,
    LineConnection,
    RequestRejected,
)

log = logging.getLogger("jobharness.harp")


class HarpServer(RequestTimeoutAttributes):
    """A harpd daemon at ``host:port``, logged in as ``user``.

    TLS is verified against ``ca_file`` (or the system trust store); ``verify``
    false turns verification off and ``allow_old_tls`` allows TLS 1.0/1.1, both
    with a warning in the log. ``request_timeout`` (the older keyword
    ``timeout`` still works) bounds connecting and the wait for each reply
    line (so a long-running plain procedure needs a long one); an enclosing
    wait's deadline bounds them further.
    """

    def __init__(
        self,
        host: str,
        user: str,
        password: str,
        port: int = HARPD_PORT,
        ca_file: str | os.PathLike[str] | None = None,
        verify: bool = True,
        allow_old_tls: bool = False,
        *,
        request_timeout: float = 60.0,
        read_slice: float = READ_SLICE,
        timeout: float = UNSET,
    ) -> None:
        request_timeout = renamed(
            "HarpServer", "timeout", "request_timeout", timeout, request_timeout
        )
        if not isinstance(user, str) or not user:
            raise ConfigurationError("harpd needs a user name (a non-empty text)")
        if not isinstance(password, str):
            raise ConfigurationError("harpd needs a password (a text)")
        self.user = user
        self._password = password
        self.ca_file = ca_file
        self.verify = verify
        self.allow_old_tls = allow_old_tls
        self.transport = JsonLinesClient(
            host,
            port,
            request_timeout=parse_timeout(request_timeout, "request_timeout"),
            read_slice=read_slice,
            name="harpd",
            redactor=Redactor([password]),
        )
        self.transport.tls = client_context(
            ca_file=ca_file,
            verify=verify,
            allow_old_tls=allow_old_tls,
            target=f"harpd at {self.transport.address}",
        )

    @property
    def url(self) -> str:
        """``tls://host:port``."""
        return self.transport.url

    def call(self, procedure: str, *args: Any, **kwargs: Any) -> Any:
        """Call ``procedure(*args)`` or ``procedure(**kwargs)`` (never both).

        A plain procedure's value is returned; a streaming procedure gives a
        :class:`HarpStreamIterator`.
        """
        arguments = call_arguments(args, kwargs)
        context = f"harpd at {self.transport.address} (user {self.user!r}), procedure {procedure}"
        line = self.transport.encode(
            harpd_request(procedure, arguments, self.user, self._password), "request"
        )
        connection = self.transport.open(line, what=f"call of {procedure}")
        try:
            streaming = self._acknowledged(connection, procedure, context)
            if streaming:
                return HarpStreamIterator(connection, context, self.transport.request_timeout)
            outcome = _next_outcome(connection, self.transport.deadline(), context)
        except BaseException:
            connection.close()
            raise
        connection.close()
        return outcome.raise_for_failure(context)

    def _acknowledged(self, connection: LineConnection, procedure: str, context: str) -> bool:
        """Read the acknowledgement; return whether the result is streamed."""
        ack = connection.read_message(self.transport.deadline())
        if ack is None:
            raise RequestRejected(
                f"{self.transport.source} closed the connection without replying to the call "
                f"of {procedure}: request rejected",
                url=self.transport.url,
            )
        if "error" in ack:
            require_terminal(ack, connection.source, "an acknowledgement").raise_for_failure(
                context
            )
        streaming = ack.get("stream_result")
        if ack.get("harp") != 1 or not isinstance(streaming, bool):
            shown = self.transport.redact(snippet(repr(ack)))
            raise ProtocolError(
                f"{connection.source} sent {shown} where the acknowledgement of {procedure} "
                "was expected",
                url=self.transport.url,
                snippet=shown,
            )
        log.debug("%s: acknowledged (stream_result=%s)", context, streaming)
        return streaming

    def __getattr__(self, procedure: str) -> HarpProcedure:
        """``server.add`` is the procedure ``add``, ready to be called."""
        if procedure.startswith("_"):
            raise AttributeError(procedure)
        return HarpProcedure(self, procedure)

    def close(self) -> None:
        """Nothing to release (one connection per call); here for connection caches."""

    def __repr__(self) -> str:
        return f"<HarpServer {self.url} user={self.user!r}>"


class HarpProcedure:
    """A procedure on a :class:`HarpServer`; calling it runs it (see :meth:`HarpServer.call`)."""

    def __init__(self, server: HarpServer, name: str) -> None:
        self._server = server
        self._name = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the procedure and return its value (or a stream iterator)."""
        return self._server.call(self._name, *args, **kwargs)

    def __repr__(self) -> str:
        return f"<HarpProcedure {self._name} on {self._server.url}>"


def _next_outcome(connection: LineConnection, deadline: Deadline, context: str) -> Outcome:
    message = connection.read_message(deadline)
    if message is None:
        raise ConnectionLost(f"{context}: harpd closed the connection before the result")
    return require_terminal(message, connection.source, "the result")


class HarpStreamIterator(Iterator[Any]):
    """The values a streaming procedure yields, then its end value as :class:`Result`.

    ``timeout`` bounds the wait for each next value. Closing the iterator (or
    leaving a ``with`` block) closes the connection, which cancels the procedure
    at its next ``yield``.
    """

    def __init__(self, connection: LineConnection, context: str, timeout: float) -> None:
        self._connection: LineConnection | None = connection
        self.context = context
        self.timeout = timeout
        self.result: Result | None = None

    def __iter__(self) -> HarpStreamIterator:
        return self

    def __next__(self) -> Any:
        if self._connection is None:
            raise StopIteration
        try:
            message = self._connection.read_message(request_deadline(self.timeout))
            if message is None:
                raise ConnectionLost(
                    f"{self.context}: harpd closed the connection in the middle of the stream"
                )
            if "stream" in message and "harp" not in message:
                return message["stream"]
            outcome = require_terminal(message, self._connection.source, "a stream value")
        except BaseException:
            self.close()
            raise
        self.close()
        value = outcome.raise_for_failure(self.context)
        self.result = Result(value)
        return self.result

    def all(self) -> list[Any]:
        """Every remaining item (the last one is the :class:`Result`)."""
        return list(self)

    def close(self) -> None:
        """Close the connection (cancels the procedure if it still runs)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __enter__(self) -> HarpStreamIterator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
