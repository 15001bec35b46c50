"""HTTP transport: pooled sessions, requests that end by their deadline, one error tree.

* keep-alive pooling through one :class:`requests.Session` per client;
* every request has a deadline: its ``request_timeout``, or the deadline of
  the wait it is made for (:mod:`jobharness.deadline`) when that is earlier.
  Connecting, sending, every read and every retry fit in it, and a server
  that drips its answer is cut off when it passes (:mod:`~.guard`);
* answers have a size limit (``max_reply_bytes``);
* retries follow the one :class:`~jobharness.transport.retry.RetryPolicy`:
  idempotent requests after lost answers and 502/503/504, any request only
  when nothing was sent or the server said it refused before acting;
* TLS verified by default;
* every failure is a :class:`~jobharness.errors.TransportError` with the method,
  the URL and a redacted snippet of what came back.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import time
from collections.abc import Callable, Collection, Mapping
from typing import Any
from urllib.parse import urljoin

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from jobharness.checks import url_problem, verify_option, whole_number
from jobharness.deadline import Deadline, describe_limit, parse_timeout, request_deadline
from jobharness.errors import (
    AuthenticationFailed,
    ConfigurationError,
    ConnectionLost,
    NotFound,
    ProtocolError,
    RequestTimedOut,
    ServerError,
    ServerUnreachable,
    TLSFailed,
    TransportError,
)
from jobharness.redaction import Redactor, redact_url, snippet, url_secrets
from jobharness.resources import Closing
from jobharness.transport import guard
from jobharness.transport.retry import (
    IDEMPOTENT_METHODS,
    RETRY_STATUSES,
    RetryPolicy,
    is_idempotent,
    retry_after_seconds,
)

__all__ = [
    "IDEMPOTENT_METHODS",
    "RETRY_STATUSES",
    "ErrorFactory",
    "HttpTransport",
    "default_error",
    "make_session",
    "normalize_base_url",
    "url_problem",
]

log = logging.getLogger("jobharness.http")

DEFAULT_MAX_REPLY_BYTES = 64 * 1024 * 1024
"""The largest answer a client reads by default (64 MiB)."""
READ_CHUNK = 256 * 1024
SHORTEST_ATTEMPT = 0.001
"""An attempt with less time than this left is not started: the deadline has passed."""

ErrorFactory = Callable[[requests.Response, str], ServerError]


# -- connections that a deadline can cut -------------------------------------------------------


class _Guarded(HTTPConnection):
    """Hands its sockets to the active :class:`~.guard.SocketGuard`, which may cut them.

    The raw socket is handed over as soon as it is connected, so a TLS
    handshake is cut too.
    """

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        guard.attach(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        guard.attach(self.sock)
        super().request(*args, **kwargs)


class _GuardedConnection(_Guarded):
    """An HTTP connection a deadline can cut."""


class _GuardedHTTPSConnection(_Guarded, HTTPSConnection):
    """An HTTPS connection a deadline can cut."""


class _GuardedPool(HTTPConnectionPool):
    ConnectionCls = _GuardedConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class DeadlineAdapter(HTTPAdapter):
    """A requests adapter that never retries on its own and whose sockets deadlines can cut."""

    def __init__(self, pool_size: int = 10) -> None:
        super().__init__(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **kw: Any
    ) -> None:
        """Build the pool manager with the guarded connection pools."""
        super().init_poolmanager(connections, maxsize, block, **kw)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedPool, "https": _GuardedHTTPSPool}


def mount_deadline_adapter(session: requests.Session, pool_size: int = 10) -> requests.Session:
    """Mount :class:`DeadlineAdapter` on ``session`` for ``http://`` and ``https://``."""
    adapter = DeadlineAdapter(pool_size)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def make_session(
    *,
    pool_size: int = 10,
    verify: bool | str = True,
    headers: Mapping[str, str] | None = None,
) -> requests.Session:
    """A keep-alive session whose requests deadlines can cut (retries are the transport's).

    ``verify`` is ``True`` (system trust store), a CA bundle path, or ``False``
    only when the caller explicitly turns verification off.
    """
    session = mount_deadline_adapter(requests.Session(), pool_size)
    session.verify = verify
    session.headers["User-Agent"] = "jobharness"
    if headers:
        session.headers.update(headers)
    return session


def normalize_base_url(url: str, server_name: str = "server") -> str:
    """``url`` with exactly one trailing slash; a ConfigurationError if it is not usable.

    It must be an absolute ``http://`` or ``https://`` URL with a host and,
    if it names one, a port from 1 to 65535.
    """
    problem = url_problem(url)
    if problem:
        shown = redact_url(url) if isinstance(url, str) else f"{type(url).__name__} {url!r}"
        raise ConfigurationError(
            f"{server_name} URL must be absolute (http://host:port/...); {problem}: {shown[:200]}"
        )
    return url.strip().rstrip("/") + "/"


def default_error(response: requests.Response, message: str) -> ServerError:
    """Map an unexpected HTTP status onto the shared error classes."""
    body = snippet(response.text)
    cls: type[ServerError] = ServerError
    if response.status_code in (401, 403):
        cls = AuthenticationFailed
    elif response.status_code == 404:
        cls = NotFound
    return cls(message, url=response.url, status=response.status_code, body=body, response=response)


class HttpTransport(Closing):
    """Requests against one base URL, each ending by its deadline, retried by one policy.

    ``request_timeout`` is how long one call may take, retries included,
    unless the wait it is made for ends sooner. ``error_factory`` turns an
    unexpected status into the backend's own
    :class:`~jobharness.errors.ServerError` subclass.
    """

    def __init__(
        self,
        base_url: str,
        *,
        request_timeout: float = 30.0,
        session: requests.Session | None = None,
        verify: bool | str = True,
        retry: RetryPolicy | None = None,
        redactor: Redactor | None = None,
        error_factory: ErrorFactory = default_error,
        server_name: str = "server",
        max_reply_bytes: int = DEFAULT_MAX_REPLY_BYTES,
    ) -> None:
        self.base_url = normalize_base_url(base_url, server_name)
        self.request_timeout = parse_timeout(request_timeout, "request_timeout")
        self.retry = retry or RetryPolicy()
        self.redact = redactor or Redactor()
        for secret in url_secrets(self.base_url):
            self.redact.add(secret)
        self.error_factory = error_factory
        self.server_name = server_name
        self.max_reply_bytes = whole_number(max_reply_bytes, "max_reply_bytes", minimum=1)
        if session is None:
            session = make_session(verify=verify_option(verify))
        elif not isinstance(session, requests.Session):
            raise ConfigurationError(
                f"session must be a requests.Session, got {type(session).__name__}"
            )
        else:
            mount_deadline_adapter(session)
        self.session = session

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` (relative to the base URL; a leading ``/`` is ignored)."""
        return urljoin(self.base_url, path.lstrip("/"))

    def request(
        self,
        method: str,
        path: str,
        *,
        expect: Collection[int] = (200,),
        retry_statuses: Collection[int] = (),
        timeout: float | None = None,
        idempotent: bool | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """Send one request and return the response, read whole, if its status is in ``expect``.

        ``timeout`` (default: the request timeout) is how long this call may
        take, retries included; an enclosing wait's deadline shortens it.
        ``retry_statuses`` lists statuses after which the server is known not
        to have acted on the request (a sandbox 503, say): those are retried
        for any method, others only for idempotent ones: by default GET, HEAD,
        OPTIONS, PUT and DELETE; ``idempotent`` says so for another request
        that may be repeated without harm (a cancel).
        """
        url = self.url(path)
        deadline = request_deadline(self.request_timeout if timeout is None else timeout)
        if idempotent is None:
            idempotent = is_idempotent(method)
        attempts = self.retry.attempts(deadline, idempotent, retry_statuses)
        what = f"{method} {self.redact(url)}"
        for _ in attempts:
            try:
                response = self._attempt(method, url, what, deadline, kwargs)
            except TransportError as exc:
                pause = attempts.failed(exc)
                log.debug("%s failed (%s); again in %.2f s", what, exc, pause)
                deadline.sleep(pause)
                continue
            status = response.status_code
            if status in expect:
                return response
            retry_after = retry_after_seconds(response.headers.get("Retry-After"))
            next_pause = attempts.answered(status, retry_after)
            if next_pause is None:
                raise self.error_factory(response, self.describe_failure(response))
            log.debug("%s -> %s; again in %.2f s", what, status, next_pause)
            deadline.sleep(next_pause)
        raise AssertionError("unreachable: attempts never end on their own")

    def _attempt(
        self, method: str, url: str, what: str, deadline: Deadline, kwargs: dict[str, Any]
    ) -> requests.Response:
        left = deadline.remaining()
        if left < SHORTEST_ATTEMPT:
            raise self._timed_out(what, url, deadline)
        started = time.monotonic()
        with guard.SocketGuard(deadline) as cut:
            try:
                response = self.session.request(method, url, timeout=left, stream=True, **kwargs)
                self._read_body(response, what)
                if cut.fired:  # the cut looked like the end of a body sent without a length
                    raise self._timed_out(what, url, deadline)
            except requests.RequestException as exc:
                if cut.fired or deadline.expired:
                    raise self._timed_out(what, url, deadline) from None
                raise self._failure(exc, what, url, deadline) from exc
            except (OSError, http.client.HTTPException, urllib3.exceptions.HTTPError) as exc:
                if cut.fired or deadline.expired:
                    raise self._timed_out(what, url, deadline) from None
                raise ConnectionLost(f"{what}: {self.redact(str(exc))}", url=url) from exc
        log.debug("%s -> %s in %.3f s", what, response.status_code, time.monotonic() - started)
        return response

    def _read_body(self, response: requests.Response, what: str) -> None:
        """Read the body in chunks up to :attr:`max_reply_bytes`; keep it on the response."""
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_reply_bytes:
            response.close()
            raise self._too_large(what, response.url, f"announced {int(declared)} bytes")
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(READ_CHUNK):
            size += len(chunk)
            if size > self.max_reply_bytes:
                response.close()
                raise self._too_large(what, response.url, "sent more")
            chunks.append(chunk)
        # what requests itself does once it has read a body
        response._content = b"".join(chunks)
        response._content_consumed = True  # type: ignore[attr-defined]

    def _too_large(self, what: str, url: str, detail: str) -> ProtocolError:
        return ProtocolError(
            f"{what}: {self.server_name} {detail}; answers are limited to "
            f"{self.max_reply_bytes} bytes",
            url=url,
        )

    def _timed_out(self, what: str, url: str, deadline: Deadline) -> RequestTimedOut:
        return RequestTimedOut(
            f"{what}: {self.server_name} did not answer within {describe_limit(deadline)}",
            url=url,
        )

    def _failure(
        self, exc: requests.RequestException, what: str, url: str, deadline: Deadline
    ) -> TransportError:
        if isinstance(exc, requests.exceptions.SSLError):
            return TLSFailed(
                f"{what}: TLS with {self.server_name} at {self.redact(self.base_url)} failed: "
                f"{self.redact(_root_cause(exc))}",
                url=url,
            )
        if isinstance(exc, requests.Timeout):
            return self._timed_out(what, url, deadline)
        if isinstance(exc, requests.ConnectionError) and _never_sent(exc):
            return ServerUnreachable(
                f"{what}: cannot reach {self.server_name} at {self.redact(self.base_url)}: "
                f"{self.redact(_root_cause(exc))}",
                url=url,
            )
        if isinstance(exc, requests.exceptions.InvalidURL):
            return ServerUnreachable(f"{what}: {self.redact(str(exc))}", url=url)
        return ConnectionLost(
            f"{what}: the connection to {self.server_name} broke: {self.redact(_root_cause(exc))}",
            url=url,
        )

    def describe_failure(self, response: requests.Response) -> str:
        """``POST http://h/execute/ -> 400 Bad Request: <body snippet>``, redacted."""
        method = response.request.method if response.request is not None else "?"
        body = snippet(response.text)
        text = f"{method} {response.url} -> {response.status_code} {response.reason}"
        return self.redact(f"{text}: {body}" if body else text)

    def json(self, response: requests.Response) -> Any:
        """Decode the JSON body of ``response``, or raise :class:`ProtocolError` with a snippet."""
        method = response.request.method if response.request is not None else "?"
        try:
            return response.json()
        except (ValueError, json.JSONDecodeError) as exc:
            body = self.redact(snippet(response.text))
            raise ProtocolError(
                self.redact(
                    f"{method} {response.url}: {self.server_name} answered {response.status_code} "
                    f"with a body that is not JSON: {body!r}"
                ),
                url=response.url,
                snippet=body,
            ) from exc

    def close(self) -> None:
        """Close the pooled connections."""
        self.session.close()


def _never_sent(exc: requests.ConnectionError) -> bool:
    """True when the connection could not even be made (refused, DNS): nothing was sent."""
    reason = exc.args[0] if exc.args else None
    inner = getattr(reason, "reason", reason)
    return isinstance(inner, (urllib3.exceptions.NewConnectionError, ConnectionRefusedError))


def _root_cause(exc: BaseException) -> str:
    """The innermost reason of a connection error (``Connection refused``)."""
    while exc.__context__ is not None and exc.__context__ is not exc:
        exc = exc.__context__
    text = str(exc)
    marker = "] "
    return text.split(marker, 1)[1] if text.startswith("[Errno") and marker in text else text
