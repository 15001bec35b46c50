"""The synchronous sandbox client, over the shared HTTP transport."""

from __future__ import annotations

import os
import uuid as uuidlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from jobharness.backends.sandbox import protocol
from jobharness.backends.sandbox.config import validate_config
from jobharness.backends.sandbox.environment import (
    EnvironmentSource,
    extract_environment,
    pack_environment,
)
from jobharness.backends.sandbox.errors import sandbox_error
from jobharness.backends.sandbox.job import SandboxJob
from jobharness.backends.sandbox.results import ExecutionResult, parse_execution
from jobharness.compat import UNSET, RequestTimeoutAttributes, renamed
from jobharness.deadline import parse_timeout
from jobharness.errors import ServerError
from jobharness.jobs import PollPolicy
from jobharness.redaction import snippet
from jobharness.resources import Closing
from jobharness.transport.http import DEFAULT_MAX_REPLY_BYTES, HttpTransport
from jobharness.transport.retry import RetryPolicy


def _error_from_response(response: requests.Response, message: str) -> ServerError:
    return sandbox_error(
        response.status_code,
        message,
        url=response.url,
        body=snippet(response.content),
        response=response,
    )


def _is_loopback(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")


class Sandbox(RequestTimeoutAttributes, Closing):
    """A client of one sandbox server (its routes mounted under ``url``).

    Covers the whole surface of pl-sandbox-api's ``Sandbox`` over one
    keep-alive session (proxies and ``.netrc`` are not consulted for a
    plain-HTTP loopback URL). ``request_timeout`` (seconds; the older keyword
    ``timeout`` still works) bounds every call, retries included, and a
    wait's deadline bounds it further; ``retries`` and ``backoff`` say how
    GET/HEAD and an execution the server refused with 503 (no container
    free, nothing ran) are tried again. Executions are validated locally
    first (:func:`~jobharness.backends.sandbox.validate_config`) and come
    back as :class:`~jobharness.backends.sandbox.ExecutionResult`.

    Example::

        with Sandbox("http://127.0.0.1:7000") as sandbox:
            result = sandbox.execute({"commands": ["cat data.txt"]}, environ="fixtures/")
            assert result.ok, result.summary()
    """

    def __init__(
        self,
        url: str,
        request_timeout: float = 60,
        *,
        retries: int = 3,
        backoff: float = 0.5,
        verify: bool | str = True,
        session: requests.Session | None = None,
        poll: PollPolicy | None = None,
        max_reply_bytes: int = DEFAULT_MAX_REPLY_BYTES,
        timeout: float = UNSET,
    ) -> None:
        request_timeout = renamed("Sandbox", "timeout", "request_timeout", timeout, request_timeout)
        self.transport = HttpTransport(
            url,
            request_timeout=parse_timeout(request_timeout, "request_timeout"),
            session=session,
            verify=verify,
            retry=RetryPolicy.build(retries, backoff),
            error_factory=_error_from_response,
            server_name=protocol.SERVER_NAME,
            max_reply_bytes=max_reply_bytes,
        )
        self.poll = poll
        if session is None and _is_loopback(self.transport.base_url):
            # No proxy or .netrc applies to a server on this machine; skipping the
            # lookup saves a scan of os.environ on every request.
            self.transport.session.trust_env = False

    @property
    def url(self) -> str:
        """The base URL (always ending with ``/``)."""
        return self.transport.base_url

    # -- reading ------------------------------------------------------------------------

    def _get_json(self, route: str) -> dict[str, Any]:
        response = self.transport.request("GET", route)
        data = protocol.decode_json(
            response.content, method="GET", url=response.url, status=response.status_code
        )
        return protocol.json_object(data, method="GET", url=response.url)

    def specifications(self) -> dict[str, Any]:
        """The host's and the containers' specifications (``GET specifications/``)."""
        return self._get_json(protocol.SPECIFICATIONS)

    def usage(self) -> dict[str, Any]:
        """Live host usage (``GET usages/``); the server samples it over about 2 s."""
        return self._get_json(protocol.USAGES)

    def libraries(self) -> dict[str, Any]:
        """Packages and binaries installed in the containers (``GET libraries/``)."""
        return self._get_json(protocol.LIBRARIES)

    def download(self, uuid: str | uuidlib.UUID, path: str | None = None) -> bytes:
        """The bytes of a stored environment (``.tgz``), or of the file ``path`` inside it.

        Raises :class:`~jobharness.backends.sandbox.Sandbox404` when either is missing.
        """
        return self.transport.request("GET", protocol.environment_route(uuid, path)).content

    def download_to(
        self,
        uuid: str | uuidlib.UUID,
        destination: str | os.PathLike[str],
        path: str | None = None,
    ) -> Path:
        """Save an environment archive (or the file ``path`` in it) as ``destination``."""
        target = Path(destination)
        data = self.download(uuid, path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return target

    def extract(self, uuid: str | uuidlib.UUID, directory: str | os.PathLike[str]) -> Path:
        """Download a stored environment and unpack it into ``directory``; return it."""
        return extract_environment(self.download(uuid), directory)

    def check(self, uuid: str | uuidlib.UUID, path: str | None = None) -> int:
        """The size in bytes of a stored environment (or of the file ``path`` in it), 0 if missing.

        Uses HEAD. Unlike pl-sandbox-api, the size is an ``int``.
        """
        response = self.transport.request(
            "HEAD", protocol.environment_route(uuid, path), expect=(200, 404)
        )
        if response.status_code == 404:
            return 0
        return protocol.content_length(response.headers, response.url)

    # -- executing ----------------------------------------------------------------------

    def validate(self, config: Mapping[str, Any]) -> str:
        """Check ``config`` as the server would; return its JSON text or raise ValidationError."""
        return validate_config(config)

    def execute(
        self,
        config: Mapping[str, Any],
        environ: EnvironmentSource | None = None,
        *,
        timeout: float | None = None,
    ) -> ExecutionResult:
        """Run ``config``'s commands (``POST execute/``) and return the result.

        ``environ`` is the environment to upload: a directory (packed on the
        fly), a ``.tar.gz`` path, its bytes or a binary file object. A failed
        command is *not* an exception: look at ``result.status``. Raises
        :class:`~jobharness.errors.ValidationError` before sending a config
        the server would refuse or mishandle, and a
        :class:`~jobharness.backends.sandbox.SandboxError` for an HTTP error.
        ``timeout`` (default: the request timeout) is how long this call
        waits for the answer, retries included.
        """
        form = {"config": validate_config(config)}
        files = (
            None
            if environ is None
            else {"environment": ("environment.tgz", pack_environment(environ))}
        )
        response = self.transport.request(
            "POST",
            protocol.EXECUTE,
            data=form,
            files=files,
            retry_statuses=protocol.EXECUTE_RETRY_STATUSES,
            timeout=timeout,
        )
        data = protocol.decode_json(
            response.content, method="POST", url=response.url, status=response.status_code
        )
        return parse_execution(data, response.url)

    def start(
        self,
        config: Mapping[str, Any],
        environ: EnvironmentSource | None = None,
        *,
        name: str = "",
        timeout: float | None = None,
    ) -> SandboxJob:
        """Start :meth:`execute` on a worker thread and return its :class:`SandboxJob` at once.

        The config and the environment are checked here, so a bad input raises
        before the job exists.
        """
        validate_config(config)
        archive = None if environ is None else pack_environment(environ)
        return SandboxJob.launch(self, config, archive, name=name, timeout=timeout)

    # -- lifecycle ----------------------------------------------------------------------

    def close(self) -> None:
        """Close the pooled connections."""
        self.transport.close()

    def __repr__(self) -> str:
        return f"<Sandbox {self.url}>"
