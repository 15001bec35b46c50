"""The asyncio sandbox client: the same methods as :class:`Sandbox`, over one aiohttp session."""

from __future__ import annotations

import asyncio
import os
import uuid as uuidlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
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
from jobharness.backends.sandbox.results import ExecutionResult, parse_execution
from jobharness.errors import RequestTimedOut, ServerUnreachable
from jobharness.transport.http import IDEMPOTENT_METHODS, RETRY_STATUSES, normalize_base_url
from jobharness.transport.redaction import redact, snippet


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
    ``async with``. Unlike pl-sandbox-api's ``ASandbox``, an error's ``body``
    holds the start of the answer (its ``response`` is already read).

    Example::

        async with ASandbox(url) as sandbox:
            results = await asyncio.gather(*(sandbox.execute(c) for c in configs))
    """

    def __init__(
        self,
        url: str,
        timeout: float = 60,
        *,
        retries: int = 3,
        backoff: float = 0.5,
        verify: bool = True,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.url = normalize_base_url(url, protocol.SERVER_NAME)
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.session = session or aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=timeout),
            connector=aiohttp.TCPConnector(ssl=bool(verify)),
            headers={"User-Agent": "jobharness"},
        )

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
        if method in IDEMPOTENT_METHODS:
            retry_statuses = (*retry_statuses, *RETRY_STATUSES)
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                answer = await self._send(method, url, form, archive, timeout)
            except aiohttp.ClientConnectorError as exc:  # nothing was sent: safe to repeat
                if last:
                    raise ServerUnreachable(
                        redact(
                            f"{method} {url}: cannot reach sandbox at {self.url}: {exc.os_error}"
                        ),
                        url=url,
                    ) from exc
            except aiohttp.ClientError as exc:
                if last or method not in IDEMPOTENT_METHODS:
                    raise ServerUnreachable(redact(f"{method} {url}: {exc}"), url=url) from exc
            except asyncio.TimeoutError as exc:
                limit = timeout or self.timeout
                raise RequestTimedOut(
                    redact(f"{method} {url}: sandbox did not answer within {limit:g} s"), url=url
                ) from exc
            else:
                if answer.status not in retry_statuses or last:
                    break
            await asyncio.sleep(self.backoff * 2**attempt)
        if answer.status not in expect:
            body = snippet(answer.body)
            message = protocol.failure_message(method, url, answer.status, answer.reason, body)
            raise sandbox_error(answer.status, message, url=url, body=body, response=answer)
        return answer

    async def _send(
        self,
        method: str,
        url: str,
        form: Mapping[str, str] | None,
        archive: bytes | None,
        timeout: float | None,
    ) -> _Answer:
        data: aiohttp.FormData | None = None
        if form is not None:
            data = aiohttp.FormData(dict(form))
            if archive is not None:
                data.add_field("environment", archive, filename="environment.tgz")
        options: dict[str, Any] = {"data": data}
        if timeout:
            options["timeout"] = aiohttp.ClientTimeout(total=timeout)
        async with self.session.request(method, url, **options) as response:
            body = await response.read()
            reason = response.reason or ""
            return _Answer(response.status, reason, str(response.url), response.headers, body)

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
        return (await self._request("GET", protocol.environment_route(uuid, path))).body

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
        """Download a stored environment and unpack it into ``directory``."""
        return extract_environment(await self.download(uuid), directory)

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
    ) -> ExecutionResult:
        """Run ``config``'s commands; see :meth:`Sandbox.execute`."""
        form = {"config": validate_config(config)}
        archive = None if environ is None else pack_environment(environ)
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
        return f"<ASandbox {self.url}>"
