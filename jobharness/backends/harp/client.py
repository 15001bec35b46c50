"""Client of the harp dispatcher (``harpcallerd``): submit calls, reach jobs by id.

Usage, as with the seed ``harp`` module::

    rpc = HarpCaller("127.0.0.1", 3502)
    call = rpc.web01.nginx_status()            # submit; returns a RemoteCall
    call = rpc.host("web01", queue={"svc": "nginx"}, timeout=30).restart("nginx")
    value = call.get(timeout=60)               # wait for the value (or raise)
    for line in call.follow(since=0): ...      # follow the stream, resumed if cut

Each request is one TCP connection (protocol §1). A submission is never retried.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from jobharness.backends.harp.job import RemoteCall
from jobharness.backends.harp.protocol import (
    DISPATCHER_MAX_REQUEST_BYTES,
    DISPATCHER_PORT,
    HARP_RETRIES,
    Arguments,
    CallOptions,
    call_arguments,
    call_request,
    harp_retry,
)
from jobharness.compat import UNSET, RequestTimeoutAttributes, renamed
from jobharness.deadline import parse_timeout
from jobharness.errors import ConfigurationError, ProtocolError
from jobharness.jobs import DEFAULT_TIMEOUT, PollPolicy
from jobharness.redaction import snippet
from jobharness.transport.jsonlines import READ_SLICE, JsonLinesClient
from jobharness.transport.retry import RetryPolicy


def parse_address(address: str, default_port: int) -> tuple[str, int]:
    """``host``, ``host:port`` or ``tcp://host:port`` (also ``[v6]:port``) -> (host, port)."""
    text = address.strip()
    if not text:
        raise ConfigurationError("a server address is required (host:port)")
    parts = urlsplit(text if "://" in text else f"tcp://{text}")
    try:
        port = parts.port
    except ValueError:
        raise ConfigurationError(f"invalid port in server address {address!r}") from None
    if not parts.hostname:
        raise ConfigurationError(f"no host in server address {address!r}")
    return parts.hostname, port or default_port


class HarpCaller(RequestTimeoutAttributes):
    """The harp dispatcher at ``host:port``.

    ``request_timeout`` (the older keyword ``timeout`` still works) bounds
    connecting and every immediate reply; ``wait_timeout`` is the default
    deadline of waits (``get()``, ``follow()``, ``wait()``) of the calls it
    hands out; ``poll`` their polling policy; ``retries`` how often a read
    whose connection was refused or cut is tried again (a submission is
    sent again only when its connection was refused).
    """

    def __init__(
        self,
        host: str,
        port: int = DISPATCHER_PORT,
        request_timeout: float = 30.0,
        *,
        wait_timeout: float = DEFAULT_TIMEOUT,
        read_slice: float = READ_SLICE,
        poll: PollPolicy | None = None,
        retries: int = HARP_RETRIES,
        timeout: float = UNSET,
    ) -> None:
        request_timeout = renamed(
            "HarpCaller", "timeout", "request_timeout", timeout, request_timeout
        )
        self.transport = JsonLinesClient(
            host,
            port,
            request_timeout=parse_timeout(request_timeout, "request_timeout"),
            read_slice=read_slice,
            name="harp dispatcher",
            max_request_bytes=DISPATCHER_MAX_REQUEST_BYTES,
            retry=harp_retry(retries),
        )
        self.wait_timeout = parse_timeout(wait_timeout, "wait_timeout")
        self.poll = poll or PollPolicy()

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> HarpCaller:
        """A caller for ``tcp://host:port`` or ``host:port`` (port 3502 if left out)."""
        host, port = parse_address(url, DISPATCHER_PORT)
        return cls(host, port, **kwargs)

    @property
    def retry(self) -> RetryPolicy:
        """When a request to the dispatcher is sent again."""
        return self.transport.retry

    @property
    def url(self) -> str:
        """``tcp://host:port``."""
        return self.transport.url

    def host(
        self,
        name: str,
        queue: Mapping[str, Any] | None = None,
        concurrency: int | None = None,
        timeout: int | float | timedelta | None = None,
        max_exec_time: int | float | timedelta | None = None,
        info: Any = None,
    ) -> RemoteServer:
        """A target host (its name in the dispatcher's registry) with job options.

        ``queue`` is a JSON object naming the queue to wait in, ``concurrency``
        how many of its jobs may run at once; ``timeout``/``max_exec_time`` are
        whole seconds; ``info`` is stored with the job.
        """
        options = CallOptions.build(queue, concurrency, timeout, max_exec_time, info)
        return RemoteServer(self, name, options)

    def __getattr__(self, name: str) -> RemoteServer:
        """``rpc.web01`` is ``rpc.host("web01")``."""
        if name.startswith("_"):
            raise AttributeError(name)
        return self.host(name)

    def job(self, job_id: str, name: str = "") -> RemoteCall:
        """The call with this id (submitted earlier, maybe by another process)."""
        if not isinstance(job_id, str) or not job_id:
            raise ConfigurationError(f"a harp job id is a non-empty text, got {job_id!r}")
        return RemoteCall(self, job_id, name=name)

    def request(self, req: Mapping[str, Any], timeout: float | None = None) -> dict[str, Any]:
        """Send one raw request and return the first reply line.

        A connection closed without a reply (the dispatcher's answer to a
        request it cannot decode) raises :class:`~jobharness.transport.jsonlines.RequestRejected`.
        """
        line = self.transport.encode(req)
        shown = snippet(line.decode("utf-8"), 120)
        return self.transport.exchange(req, what=f"request {shown}", timeout=timeout)

    def submit(
        self,
        host: str,
        procedure: str,
        arguments: Arguments | None = None,
        options: CallOptions | None = None,
    ) -> RemoteCall:
        """Submit a call; return its :class:`RemoteCall` at once (sent exactly once)."""
        request = call_request(host, procedure, arguments or [], options or CallOptions())
        reply = self.transport.exchange(request, what=f"call of {host}.{procedure}")
        job_id = reply.get("job_id")
        if not isinstance(job_id, str) or not job_id:
            shown = snippet(repr(reply))
            raise ProtocolError(
                f"{self.transport.source} answered the call of {host}.{procedure} with {shown}",
                url=self.url,
                snippet=shown,
            )
        return RemoteCall(self, job_id, name=f"{host}.{procedure}")

    def close(self) -> None:
        """Nothing to release (one connection per request); here for connection caches."""

    def __repr__(self) -> str:
        return f"<HarpCaller {self.url}>"


class RemoteServer:
    """A target host of a :class:`HarpCaller` with its job options; its attributes are procedures.

    Calling it with options returns a copy with those options changed
    (``rpc.web01(queue={"svc": "nginx"}).restart()``).
    """

    def __init__(self, caller: HarpCaller, name: str, options: CallOptions) -> None:
        self._caller = caller
        self._name = name
        self._options = options

    @property
    def options(self) -> CallOptions:
        """The job options calls through this object get."""
        return self._options

    def __call__(self, **options: Any) -> RemoteServer:
        """A copy with some job options changed (``queue``, ``concurrency``, ``timeout`` ...)."""
        return RemoteServer(self._caller, self._name, self._options.replace(**options))

    def call(self, procedure: str, *args: Any, **kwargs: Any) -> RemoteCall:
        """Submit ``procedure(*args)`` or ``procedure(**kwargs)`` (never both)."""
        arguments = call_arguments(args, kwargs)
        return self._caller.submit(self._name, procedure, arguments, self._options)

    def __getattr__(self, procedure: str) -> RemoteProcedure:
        """``server.restart`` is the procedure ``restart``, ready to be called."""
        if procedure.startswith("_"):
            raise AttributeError(procedure)
        return RemoteProcedure(self, procedure)

    def __str__(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"<RemoteServer {self._name} via {self._caller.url}>"


class RemoteProcedure:
    """A procedure on a :class:`RemoteServer`; calling it submits a call."""

    def __init__(self, server: RemoteServer, name: str) -> None:
        self._server = server
        self._name = name

    def host(self) -> str:
        """The host the procedure will be called on."""
        return str(self._server)

    def procedure(self) -> str:
        """The procedure's name."""
        return self._name

    def __call__(self, *args: Any, **kwargs: Any) -> RemoteCall:
        """Submit the call; mixing positional and keyword arguments raises locally."""
        return self._server.call(self._name, *args, **kwargs)

    def __repr__(self) -> str:
        return f"<RemoteProcedure {self.host()}.{self._name}()>"
