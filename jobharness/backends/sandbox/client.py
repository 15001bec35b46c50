"""The synchronous sandbox client, over the shared HTTP transport."""

from __future__ import annotations

import logging
import os
import uuid as uuidlib
from collections.abc import Mapping
from dataclasses import replace
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
from jobharness.backends.sandbox.results import ExecutionResult, SandboxErrCode, parse_execution
from jobharness.backends.sandbox.retry import SandboxRetryPolicy, repeat_count
from jobharness.checks import instance
from jobharness.compat import UNSET, RequestTimeoutAttributes, renamed
from jobharness.deadline import bounded, parse_timeout, request_deadline
from jobharness.errors import ServerError
from jobharness.jobs import PollPolicy
from jobharness.redaction import redact_url, snippet
from jobharness.resources import Closing
from jobharness.transport.http import DEFAULT_MAX_REPLY_BYTES, HttpTransport

log = logging.getLogger("jobharness.sandbox")


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
    wait's deadline bounds it further. ``retries`` is how often a request
    that could not reach the server, or a GET/HEAD whose answer was lost (or
    was a 502/503/504), is tried again, with a pause starting at ``backoff``
    seconds and doubling; an execution the server refused with 503 (no
    container free, nothing ran) is tried again until the call's deadline,
    whatever the count (``retries=0`` turns all retrying off).
    ``repeat_unknown`` is how often an execution answered with status -1 is
    sent again: 0 (the default) unless its commands are safe to run twice,
    since -1 may also mean they did run (see
    :data:`~jobharness.backends.sandbox.results.UNKNOWN_CAUSES`).
    Executions are validated locally first
    (:func:`~jobharness.backends.sandbox.validate_config`) and come back as
    :class:`~jobharness.backends.sandbox.ExecutionResult`.

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
        repeat_unknown: int = 0,
        timeout: float = UNSET,
    ) -> None:
        request_timeout = renamed("Sandbox", "timeout", "request_timeout", timeout, request_timeout)
        self.repeat_unknown = repeat_count(repeat_unknown)
        self.transport = HttpTransport(
            url,
            request_timeout=parse_timeout(request_timeout, "request_timeout"),
            session=session,
            verify=verify,
            retry=SandboxRetryPolicy(retries=retries, backoff=backoff),
            error_factory=_error_from_response,
            server_name=protocol.SERVER_NAME,
            max_reply_bytes=max_reply_bytes,
        )
        self.poll = instance(poll, PollPolicy, "poll")
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
        route = protocol.environment_route(uuid, path)
        response = self.transport.request("GET", route)
        return protocol.checked_download(
            response.content, route, self.transport.redact(response.url)
        )

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
        """Download a stored environment and unpack it into ``directory``; return it.

        Links are unpacked as links; nothing is written outside ``directory``
        or through a link (see :func:`~jobharness.backends.sandbox.extract_environment`).
        """
        url = self.transport.url(protocol.environment_route(uuid))
        what = f"environment {protocol.environment_id(uuid)} of sandbox {redact_url(self.url)}"
        return extract_environment(self.download(uuid), directory, what, url)

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
        repeat_unknown: int | None = None,
    ) -> ExecutionResult:
        """Run ``config``'s commands (``POST execute/``) and return the result.

        ``environ`` is the environment to upload: a directory (packed on the
        fly), a ``.tar.gz`` path, its bytes or a binary file object. A failed
        command is *not* an exception: look at ``result.status``. Raises
        :class:`~jobharness.errors.ValidationError` before sending a config
        the server would refuse or mishandle, and a
        :class:`~jobharness.backends.sandbox.SandboxError` for an HTTP error.
        ``timeout`` (default: the request timeout) is how long this call
        waits for the answer, retries and repeats included.
        ``repeat_unknown`` (default: the client's) is how often the request
        is sent again while the answer is status -1; give it only for
        commands that are safe to run twice.
        """
        repeats = self.repeat_unknown if repeat_unknown is None else repeat_count(repeat_unknown)
        form = {"config": validate_config(config)}
        files = (
            None
            if environ is None
            else {"environment": ("environment.tgz", pack_environment(environ))}
        )
        deadline = request_deadline(self.request_timeout if timeout is None else timeout)
        with bounded(deadline):
            result = self._execute_once(form, files, deadline.remaining())
            repeated = 0
            while result.status == SandboxErrCode.UNKNOWN and repeated < repeats:
                repeated += 1
                log.info(
                    "status -1 from %s; sending again (%d of %d)",
                    redact_url(self.url),
                    repeated,
                    repeats,
                )
                result = self._execute_once(form, files, deadline.remaining())
        return replace(result, repeats=repeated) if repeated else result

    def _execute_once(
        self, form: Mapping[str, str], files: Mapping[str, Any] | None, timeout: float
    ) -> ExecutionResult:
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
        repeat_unknown: int | None = None,
    ) -> SandboxJob:
        """Start :meth:`execute` on a worker thread and return its :class:`SandboxJob` at once.

        The config, the environment and ``repeat_unknown`` are checked here,
        so a bad input raises before the job exists.
        """
        validate_config(config)
        archive = None if environ is None else pack_environment(environ)
        if repeat_unknown is not None:
            repeat_count(repeat_unknown)
        return SandboxJob.launch(
            self, config, archive, name=name, timeout=timeout, repeat_unknown=repeat_unknown
        )

    # -- lifecycle ----------------------------------------------------------------------

    def close(self) -> None:
        """Close the pooled connections."""
        self.transport.close()

    def __repr__(self) -> str:
        return f"<Sandbox {redact_url(self.url)}>"
