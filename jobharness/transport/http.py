"""HTTP transport: a pooled session factory and a request helper with one error tree.

* keep-alive pooling through one :class:`requests.Session` per client;
* a timeout on every request;
* automatic retries with backoff for idempotent requests only
  (``GET``, ``HEAD``, ``OPTIONS``, ``PUT``, ``DELETE``); a ``POST`` is retried
  only for a status the caller names as "refused before running" (``retry_statuses``);
* TLS verified by default;
* every failure is a :class:`~jobharness.errors.TransportError` with the method,
  the URL and a redacted snippet of what came back.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Collection, Mapping
from typing import Any
from urllib.parse import urljoin

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ReadTimeoutError
from urllib3.util.retry import Retry

from jobharness.errors import (
    AuthenticationFailed,
    ConfigurationError,
    NotFound,
    ProtocolError,
    RequestTimedOut,
    ServerError,
    ServerUnreachable,
)
from jobharness.transport.redaction import Redactor, snippet

log = logging.getLogger("jobharness.http")


class _RetryNotice(logging.Filter):
    """Demotes urllib3's "Retrying ..." warnings to DEBUG: a retried idempotent request is
    routine, and Robot Framework would otherwise show each one as a test warning."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.WARNING and str(record.msg).startswith("Retrying"):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


_pool_log = logging.getLogger("urllib3.connectionpool")
if not any(isinstance(f, _RetryNotice) for f in _pool_log.filters):
    _pool_log.addFilter(_RetryNotice())

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = (502, 503, 504)

ErrorFactory = Callable[[requests.Response, str], ServerError]


def make_session(
    *,
    retries: int = 3,
    backoff: float = 0.1,
    pool_size: int = 10,
    verify: bool | str = True,
    headers: Mapping[str, str] | None = None,
) -> requests.Session:
    """Build a keep-alive session that retries idempotent requests with exponential backoff.

    ``verify`` is ``True`` (system trust store), a CA bundle path, or ``False``
    only when the caller explicitly turns verification off.
    """
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        backoff_factor=backoff,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=IDEMPOTENT_METHODS,
        raise_on_status=False,
        respect_retry_after_header=True,
    )
    adapter = HTTPAdapter(max_retries=retry, pool_connections=pool_size, pool_maxsize=pool_size)
    session = requests.Session()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.verify = verify
    session.headers["User-Agent"] = "jobharness"
    if headers:
        session.headers.update(headers)
    return session


def normalize_base_url(url: str, server_name: str = "server") -> str:
    """``url`` with exactly one trailing slash; a ConfigurationError if it is not absolute."""
    if not url or "://" not in url:
        raise ConfigurationError(
            f"{server_name} URL must be absolute (http://host:port/...), got {url!r}"
        )
    return url.rstrip("/") + "/"


def default_error(response: requests.Response, message: str) -> ServerError:
    """Map an unexpected HTTP status onto the shared error classes."""
    body = snippet(response.text)
    cls: type[ServerError] = ServerError
    if response.status_code in (401, 403):
        cls = AuthenticationFailed
    elif response.status_code == 404:
        cls = NotFound
    return cls(message, url=response.url, status=response.status_code, body=body, response=response)


class HttpTransport:
    """Requests against one base URL, with timeouts, retries and clear errors.

    ``error_factory`` turns an unexpected status into the backend's own
    :class:`~jobharness.errors.ServerError` subclass.
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 30.0,
        session: requests.Session | None = None,
        verify: bool | str = True,
        retries: int = 3,
        backoff: float = 0.1,
        redactor: Redactor | None = None,
        error_factory: ErrorFactory = default_error,
        server_name: str = "server",
    ) -> None:
        self.base_url = normalize_base_url(base_url, server_name)
        self.timeout = timeout
        self.backoff = backoff
        self.retries = retries
        self.redact = redactor or Redactor()
        self.error_factory = error_factory
        self.server_name = server_name
        self.session = session or make_session(retries=retries, backoff=backoff, verify=verify)

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
        **kwargs: Any,
    ) -> requests.Response:
        """Send one request and return the response if its status is in ``expect``.

        ``retry_statuses`` lists statuses after which the server is known not to
        have acted on the request (a sandbox 503, say); only those are retried
        for a non-idempotent method, with the same backoff as the session.
        """
        url = self.url(path)
        attempts = 1 + (self.retries if retry_statuses else 0)
        for attempt in range(attempts):
            response = self._send(method, url, timeout, kwargs)
            if response.status_code in retry_statuses and attempt + 1 < attempts:
                response.close()
                time.sleep(self.backoff * (2**attempt))
                continue
            break
        if response.status_code not in expect:
            raise self.error_factory(response, self.describe_failure(response))
        return response

    def _send(
        self, method: str, url: str, timeout: float | None, kwargs: dict[str, Any]
    ) -> requests.Response:
        what = f"{method} {self.redact(url)}"
        started = time.monotonic()
        try:
            response = self.session.request(method, url, timeout=timeout or self.timeout, **kwargs)
        except requests.ConnectionError as exc:
            if _is_read_timeout(exc):
                raise RequestTimedOut(
                    f"{what}: {self.server_name} did not answer within "
                    f"{timeout or self.timeout:g} s",
                    url=url,
                ) from exc
            raise ServerUnreachable(
                f"{what}: cannot reach {self.server_name} at {self.redact(self.base_url)}: "
                f"{self.redact(_root_cause(exc))}",
                url=url,
            ) from exc
        except requests.Timeout as exc:
            raise RequestTimedOut(
                f"{what}: {self.server_name} did not answer within {timeout or self.timeout:g} s",
                url=url,
            ) from exc
        except requests.RequestException as exc:
            raise ServerUnreachable(f"{what}: {self.redact(str(exc))}", url=url) from exc
        log.debug("%s -> %s in %.3f s", what, response.status_code, time.monotonic() - started)
        return response

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


def _is_read_timeout(exc: requests.ConnectionError) -> bool:
    """True when urllib3's retry wrapping hides a read timeout inside a ConnectionError."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, ReadTimeoutError)


def _root_cause(exc: BaseException) -> str:
    """The innermost reason of a connection error (``Connection refused``)."""
    while exc.__context__ is not None and exc.__context__ is not exc:
        exc = exc.__context__
    text = str(exc)
    marker = "] "
    return text.split(marker, 1)[1] if text.startswith("[Errno") and marker in text else text
