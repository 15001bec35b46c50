"""The asyncio sandbox client: the same methods as :class:`Sandbox`, over one aiohttp session."""

from __future__ import annotations

import asyncio
import logging
import os
import uuid as uuidlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urljoin

import aiohttp

from jobharness.backends.sandbox import protocol
from jobharness.backends.sandbox.config import validate_config
from jobharness.backends.sandbox.environment import (
    EnvironmentSource,
    extract_environment,
    pack_environment,
)
from jobharness.backends.sandbox.errors import sandbox_error
from jobharness.backends.sandbox.results import ExecutionResult, SandboxErrCode, parse_execution
from jobharness.backends.sandbox.retry import SandboxRetryPolicy, repeat_count
from jobharness.checks import instance, verify_option, whole_number
from jobharness.compat import UNSET, renamed
from jobharness.deadline import Deadline, bounded, describe_limit, parse_timeout, request_deadline
from jobharness.errors import (
    ConnectionLost,
    ProtocolError,
    RequestTimedOut,
    ServerUnreachable,
    TLSFailed,
    TransportError,
)
from jobharness.redaction import Redactor, redact, redact_url, snippet, url_secrets
from jobharness.transport.http import (
    DEFAULT_MAX_REPLY_BYTES,
    READ_CHUNK,
    SHORTEST_ATTEMPT,
    normalize_base_url,
)
from jobharness.transport.retry import is_idempotent, retry_after_seconds

log = logging.getLogger("jobharness.sandbox")

BODY_AFTER_CLOSE = "Data after"
"""How aiohttp refuses an answer with bytes after its end (a HEAD answered with a body)."""


@dataclass(frozen=True)
class _Answer:
    """A response read to the end inside its context, so errors can still quote it."""

    status: int
    reason: str
    url: str
    headers: Mapping[str, str]
    body: bytes


class ASandbox:
    """An asyncio client of one sandbox server; same methods and results as :class:`Sandbox`.

    Create it inside a running event loop (it owns one
    :class:`aiohttp.ClientSession`) and close it with ``await close()`` or
    ``async with``. Calls follow the same rules as :class:`Sandbox`: one
    deadline per call (``request_timeout``, or an enclosing wait's), retries
    by the shared :class:`~jobharness.transport.retry.RetryPolicy`, answers
    limited to ``max_reply_bytes``. Unlike pl-sandbox-api's ``ASandbox``, an
    error's ``body`` holds the start of the answer (its ``response`` is
    already read).

    Example::

        async with ASandbox(url) as sandbox:
            results = await asyncio.gather(*(sandbox.execute(c) for c in configs))
    """

    def __init__(
        self,
        url: str,
        request_timeout: float = 60,
        *,
        retries: int = 3,
        backoff: float = 0.5,
        verify: bool = True,
        session: aiohttp.ClientSession | None = None,
        max_reply_bytes: int = DEFAULT_MAX_REPLY_BYTES,
        repeat_unknown: int = 0,
        timeout: float = UNSET,
    ) -> None:
        request_timeout = renamed(
            "ASandbox", "timeout", "request_timeout", timeout, request_timeout
        )
        self.url = normalize_base_url(url, protocol.SERVER_NAME)
        self.redactor = Redactor(url_secrets(self.url))  # known to the report scrubbing
        self.request_timeout = parse_timeout(request_timeout, "request_timeout")
        self.retry = SandboxRetryPolicy(retries=retries, backoff=backoff)
        self.repeat_unknown = repeat_count(repeat_unknown)
        self.max_reply_bytes = whole_number(max_reply_bytes, "max_reply_bytes", minimum=1)
        verify_option(verify)
        instance(session, aiohttp.ClientSession, "session")
        self.session = session or aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=bool(verify)),
            headers={"User-Agent": "jobharness"},
        )

    @property
    def timeout(self) -> float:
        """The request timeout (the older name of :attr:`request_timeout`)."""
        return self.request_timeout

    async def _request(
        self,
        method: str,
        route: str,
        *,
        expect: Collection[int] = (200,),
        retry_statuses: Collection[int] = (),
        form: Mapping[str, str] | None = None,
        archive: bytes | None = None,
        timeout: float | None = None,
    ) -> _Answer:
        url = urljoin(self.url, route)
        deadline = request_deadline(self.request_timeout if timeout is None else timeout)
        attempts = self.retry.attempts(deadline, is_idempotent(method), retry_statuses)
        for _ in attempts:
            try:
                answer = await self._attempt(method, url, form, archive, deadline)
            except TransportError as exc:
                await asyncio.sleep(attempts.failed(exc))
                continue
            if answer.status in expect:
                return answer
            retry_after = retry_after_seconds(answer.headers.get("Retry-After"))
            pause = attempts.answered(answer.status, retry_after)
            if pause is None:
                body = snippet(answer.body)
                message = protocol.failure_message(method, url, answer.status, answer.reason, body)
                raise sandbox_error(answer.status, message, url=url, body=body, response=answer)
            await asyncio.sleep(pause)
        raise AssertionError("unreachable: attempts never end on their own")

    async def _attempt(
        self,
        method: str,
        url: str,
        form: Mapping[str, str] | None,
        archive: bytes | None,
        deadline: Deadline,
    ) -> _Answer:
        what = f"{method} {redact(url)}"
        left = deadline.remaining()
        if left < SHORTEST_ATTEMPT:
            raise RequestTimedOut(
                f"{what}: sandbox did not answer within {describe_limit(deadline)}", url=url
            )
        try:
            try:
                return await self._send(method, url, form, archive, left)
            except aiohttp.ClientResponseError as exc:
                if method != "HEAD" or BODY_AFTER_CLOSE not in str(exc.message):
                    raise
            # Django's runserver answers a HEAD 404 with its body, which aiohttp refuses
            # (its status with it): ask again with a GET, reading only what a HEAD gives.
            log.debug("HEAD %s came with a body; asking with GET", redact(url))
            left = deadline.remaining()
            if left < SHORTEST_ATTEMPT:
                raise asyncio.TimeoutError
            return await self._send("GET", url, None, None, left, headers_only=True)
        except asyncio.TimeoutError as exc:
            raise RequestTimedOut(
                f"{what}: sandbox did not answer within {describe_limit(deadline)}", url=url
            ) from exc
        except aiohttp.ClientSSLError as exc:
            raise TLSFailed(redact(f"{what}: TLS with sandbox failed: {exc}"), url=url) from exc
        except aiohttp.ClientConnectorError as exc:  # nothing was sent
            raise ServerUnreachable(
                redact(f"{what}: cannot reach sandbox at {self.url}: {exc.os_error}"), url=url
            ) from exc
        except aiohttp.ClientError as exc:
            raise ConnectionLost(
                redact(f"{what}: the connection to sandbox broke: {exc}"), url=url
            ) from exc

    async def _send(
        self,
        method: str,
        url: str,
        form: Mapping[str, str] | None,
        archive: bytes | None,
        seconds: float,
        *,
        headers_only: bool = False,
    ) -> _Answer:
        """One request; ``headers_only`` leaves a 200's body unread (the connection is dropped)."""
        data: aiohttp.FormData | None = None
        if form is not None:
            data = aiohttp.FormData(dict(form))
            if archive is not None:
                data.add_field("environment", archive, filename="environment.tgz")
        limit = aiohttp.ClientTimeout(total=seconds)
        async with self.session.request(method, url, data=data, timeout=limit) as response:
            if headers_only and response.status == 200:
                response.close()
                body = b""
            else:
                body = await self._read(response, method, url)
            reason = response.reason or ""
            return _Answer(response.status, reason, str(response.url), response.headers, body)

    async def _read(self, response: aiohttp.ClientResponse, method: str, url: str) -> bytes:
        """The body, read in chunks up to :attr:`max_reply_bytes`."""
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(READ_CHUNK):
            size += len(chunk)
            if size > self.max_reply_bytes:
                raise ProtocolError(
                    redact(
                        f"{method} {url}: sandbox sent more than {self.max_reply_bytes} bytes; "
                        "answers are limited to that"
                    ),
                    url=url,
                )
            chunks.append(chunk)
        return b"".join(chunks)

    async def _get_json(self, route: str) -> dict[str, Any]:
        answer = await self._request("GET", route)
        data = protocol.decode_json(answer.body, method="GET", url=answer.url, status=answer.status)
        return protocol.json_object(data, method="GET", url=answer.url)

    async def specifications(self) -> dict[str, Any]:
        """The host's and the containers' specifications."""
        return await self._get_json(protocol.SPECIFICATIONS)

    async def usage(self) -> dict[str, Any]:
        """Live host usage (the server samples it over about 2 s)."""
        return await self._get_json(protocol.USAGES)

    async def libraries(self) -> dict[str, Any]:
        """Packages and binaries installed in the containers."""
        return await self._get_json(protocol.LIBRARIES)

    async def download(self, uuid: str | uuidlib.UUID, path: str | None = None) -> bytes:
        """The bytes of a stored environment, or of the file ``path`` inside it."""
        route = protocol.environment_route(uuid, path)
        answer = await self._request("GET", route)
        return protocol.checked_download(answer.body, route, redact(answer.url))

    async def download_to(
        self,
        uuid: str | uuidlib.UUID,
        destination: str | os.PathLike[str],
        path: str | None = None,
    ) -> Path:
        """Save an environment archive (or the file ``path`` in it) as ``destination``."""
        target = Path(destination)
        data = await self.download(uuid, path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return target

    async def extract(self, uuid: str | uuidlib.UUID, directory: str | os.PathLike[str]) -> Path:
        """Download a stored environment and unpack it into ``directory`` (see ``Sandbox``)."""
        url = urljoin(self.url, protocol.environment_route(uuid))
        what = f"environment {protocol.environment_id(uuid)} of sandbox {redact_url(self.url)}"
        return extract_environment(await self.download(uuid), directory, what, url)

    async def check(self, uuid: str | uuidlib.UUID, path: str | None = None) -> int:
        """The size in bytes of an environment (or of the file ``path`` in it), 0 if missing."""
        route = protocol.environment_route(uuid, path)
        answer = await self._request("HEAD", route, expect=(200, 404))
        return 0 if answer.status == 404 else protocol.content_length(answer.headers, answer.url)

    def validate(self, config: Mapping[str, Any]) -> str:
        """Check ``config`` as the server would; return its JSON text or raise ValidationError."""
        return validate_config(config)

    async def execute(
        self,
        config: Mapping[str, Any],
        environ: EnvironmentSource | None = None,
        *,
        timeout: float | None = None,
        repeat_unknown: int | None = None,
    ) -> ExecutionResult:
        """Run ``config``'s commands; see :meth:`Sandbox.execute`."""
        repeats = self.repeat_unknown if repeat_unknown is None else repeat_count(repeat_unknown)
        form = {"config": validate_config(config)}
        archive = None if environ is None else pack_environment(environ)
        deadline = request_deadline(self.request_timeout if timeout is None else timeout)
        with bounded(deadline):
            result = await self._execute_once(form, archive, deadline.remaining())
            repeated = 0
            while result.status == SandboxErrCode.UNKNOWN and repeated < repeats:
                repeated += 1
                log.info(
                    "status -1 from %s; sending again (%d of %d)",
                    redact_url(self.url),
                    repeated,
                    repeats,
                )
                result = await self._execute_once(form, archive, deadline.remaining())
        return replace(result, repeats=repeated) if repeated else result

    async def _execute_once(
        self, form: Mapping[str, str], archive: bytes | None, timeout: float
    ) -> ExecutionResult:
        answer = await self._request(
            "POST",
            protocol.EXECUTE,
            form=form,
            archive=archive,
            retry_statuses=protocol.EXECUTE_RETRY_STATUSES,
            timeout=timeout,
        )
        data = protocol.decode_json(
            answer.body, method="POST", url=answer.url, status=answer.status
        )
        return parse_execution(data, answer.url)

    async def close(self) -> None:
        """Close the session and its connections."""
        await self.session.close()

    async def __aenter__(self) -> ASandbox:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"<ASandbox {redact_url(self.url)}>"
