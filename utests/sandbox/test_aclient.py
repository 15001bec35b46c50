"""The asyncio client: the same surface and errors as the sync one, over one aiohttp session."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from werkzeug.wrappers import Response

from jobharness.backends.sandbox import (
    ASandbox,
    Sandbox400,
    Sandbox404,
    Sandbox503,
    SandboxError,
)
from jobharness.errors import ProtocolError, ServerUnreachable, ValidationError

T = TypeVar("T")


def run(url: str, body: Callable[[ASandbox], Awaitable[T]], **options: Any) -> T:
    async def main() -> T:
        async with ASandbox(url, **options) as client:
            return await body(client)

    return asyncio.run(main())


def test_reads_and_concurrent_executions(sandbox_server: Any) -> None:
    async def body(client: ASandbox) -> Any:
        specs = await client.specifications()
        libraries = await client.libraries()
        results = await asyncio.gather(
            *(client.execute({"commands": [f"echo {i}"]}) for i in range(5))
        )
        return specs, libraries, results

    specs, libraries, results = run(sandbox_server.url, body)
    assert specs["host"]["sandbox_version"] == "3.0.3"
    assert isinstance(libraries, dict)
    assert [r.execution[0].stdout for r in results] == [str(i) for i in range(5)]


def test_save_check_download(sandbox_server: Any, tmp_path: Path) -> None:
    (tmp_path / "env").mkdir()
    (tmp_path / "env" / "in.txt").write_text("data")

    async def body(client: ASandbox) -> Any:
        saved = await client.execute(
            {"commands": ["cp in.txt out.txt"], "save": True}, tmp_path / "env"
        )
        env = saved.environment
        return (
            saved,
            await client.check(env),
            await client.check(env, "out.txt"),
            await client.check(env, "nope.txt"),
            await client.download(env, "out.txt"),
            await client.download_to(env, tmp_path / "env.tgz"),
            await client.extract(env, tmp_path / "unpacked"),
        )

    saved, size, file_size, missing, data, archive, unpacked = run(sandbox_server.url, body)
    assert saved.ok and size > 0 and isinstance(size, int)
    assert (file_size, missing, data) == (4, 0, b"data")
    assert archive.stat().st_size == size
    assert (unpacked / "out.txt").read_text() == "data"


def test_errors_keep_their_body(sandbox_server: Any) -> None:
    async def body(client: ASandbox) -> Any:
        with pytest.raises(Sandbox404) as missing:
            await client.download("00000000-0000-4000-8000-000000000000")
        with pytest.raises(Sandbox400) as bad:
            await client._request("POST", "execute/", form={"config": "[1]"})
        with pytest.raises(ValidationError):
            await client.execute({"commands": []})
        return missing.value, bad.value

    missing, bad = run(sandbox_server.url, body)
    assert "No environment with UUID" in missing.body and missing.status == 404
    assert "config must be an object" in bad.body
    assert "execute/ -> 400" in str(bad)


def test_503_is_retried_then_raised(stub: Any) -> None:
    busy = Response("Sandbox overloaded, retry after a few seconds.", status=503)
    stub.reply(busy, stub.json('{"status": 0, "execution": [], "total_time": 0}'))
    assert run(stub.url, lambda c: c.execute({"commands": ["true"]}), backoff=0.01).ok
    assert stub.paths == ["/execute/", "/execute/"]
    stub.reply(busy)
    with pytest.raises(Sandbox503):
        run(stub.url, lambda c: c.execute({"commands": ["true"]}, timeout=0.3), backoff=0.01)


def test_unknown_status_and_garbage(stub: Any) -> None:
    stub.reply(Response("teapot", status=418))
    with pytest.raises(SandboxError) as caught:
        run(stub.url, lambda c: c.specifications(), retries=0)
    assert type(caught.value) is SandboxError and caught.value.body == "teapot"
    stub.reply(stub.json("not json at all"))
    with pytest.raises(ProtocolError) as garbage:
        run(stub.url, lambda c: c.execute({"commands": ["true"]}))
    assert garbage.value.snippet == "not json at all"


def test_path_prefix(stub: Any) -> None:
    stub.reply(stub.json("{}"))
    run(stub.url + "/under/here", lambda c: c.specifications())
    assert stub.paths == ["/under/here/specifications/"]


def test_unreachable_names_the_url() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ServerUnreachable, match=f"127.0.0.1:{port}"):
        run(f"http://127.0.0.1:{port}", lambda c: c.usage(), retries=0)


def test_slow_answer_is_a_request_timeout(stub: Any) -> None:
    import time

    from jobharness.errors import RequestTimedOut

    def slow(request: Any) -> Response:
        time.sleep(1)
        return stub.json("{}")

    stub.handler = slow
    with pytest.raises(RequestTimedOut, match=r"did not answer within 0\.2 s"):
        run(stub.url, lambda c: c.execute({"commands": ["true"]}, timeout=0.2))
