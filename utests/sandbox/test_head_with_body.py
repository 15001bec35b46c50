"""``check()`` against a server run like Django's ``runserver``: a HEAD 404 carries its body.

The real server, started as its README says, answers a HEAD on a missing
environment or file with ``404 Not Found``, ``Connection: close`` and the
text of the error as a body. aiohttp refuses such an answer ("Data after
Connection: close"); ``ASandbox.check()`` must still say 0, as the sync
client does, and keep the true status of any other answer.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sandbox_api

from jobharness.backends.sandbox import ASandbox, Sandbox, Sandbox500
from jobharness.servers.base import EmbeddedServer

MISSING = "00000000-0000-4000-8000-000000000000"
CALLS = 10


def _missing_text(path: str) -> bytes:
    return f"No environment with UUID '{MISSING}' found ({path})".encode()


def _like_runserver(stub: Any) -> None:
    """Answer like the real server under runserver: HEAD 404 with a body; 200 without one."""

    def reply(method: str, path: str) -> bytes:
        if MISSING in path:
            return stub.answer("404 Not Found", _missing_text(path))
        if path.endswith("/dir/"):
            return stub.answer("500 Internal Server Error", b"<h1>Server Error (500)</h1>")
        return stub.answer("200 OK", b"" if method == "HEAD" else b"x" * 232, length=232)

    stub.reply = reply


def _checks(url: str, calls: list[tuple[str, str | None]]) -> list[int]:
    async def main() -> list[int]:
        async with ASandbox(url, retries=0) as client:
            return [await client.check(env, path) for env, path in calls]

    return asyncio.run(main())


def test_async_check_reads_a_head_404_with_a_body_as_missing(raw_stub: Any) -> None:
    _like_runserver(raw_stub)
    calls = [(MISSING, None), (MISSING, "a.txt")] * CALLS
    assert _checks(raw_stub.url, calls) == [0] * len(calls)


def test_async_check_still_gives_the_size_and_other_statuses(raw_stub: Any) -> None:
    _like_runserver(raw_stub)
    present = str(uuid.uuid4())
    assert _checks(raw_stub.url, [(present, None), (present, "f.txt")]) == [232, 232]

    async def directory() -> int:
        async with ASandbox(raw_stub.url, retries=0) as client:
            return await client.check(present, "dir")

    with pytest.raises(Sandbox500):
        asyncio.run(directory())


def test_sync_check_agrees(raw_stub: Any) -> None:
    _like_runserver(raw_stub)
    with Sandbox(raw_stub.url, retries=0) as client:
        assert [client.check(MISSING), client.check(MISSING, "a.txt")] == [0, 0]


@pytest.fixture(scope="module")
def runserver() -> Iterator[EmbeddedServer]:
    """An embedded server that answers as the real one does under Django's runserver."""
    with EmbeddedServer("sandbox", ["--runserver", "--usage-interval", "0.1"]) as server:
        yield server


def _raw_head(url: str, path: str) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(f"HEAD {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):  # the server closes the connection
            data += chunk
    return data


def test_the_embedded_runserver_mode_sends_a_body_on_a_head_404(
    runserver: EmbeddedServer,
) -> None:
    reply = _raw_head(runserver.url, f"/environments/{MISSING}/")
    head, _, body = reply.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0] == "HTTP/1.1 404 Not Found"
    assert "Connection: close" in lines
    assert body == f"No environment with UUID '{MISSING}' found".encode()


def test_every_client_checks_through_the_runserver_mode(runserver: EmbeddedServer) -> None:
    with Sandbox(runserver.url) as client:
        env = client.execute({"commands": ["echo hi > f.txt"], "save": True}).environment
        assert env is not None
        size = client.check(env)
        assert size > 0 and client.check(env, "f.txt") == 3
        assert client.check(MISSING) == 0 and client.check(env, "gone.txt") == 0
    calls = [(MISSING, None), (env, "gone.txt")] * CALLS + [(env, None), (env, "f.txt")]
    assert _checks(runserver.url, calls) == [0] * (2 * CALLS) + [size, 3]
    reference = sandbox_api.Sandbox(runserver.url)
    assert (reference.check(MISSING), reference.check(env, "f.txt")) == (0, "3")
