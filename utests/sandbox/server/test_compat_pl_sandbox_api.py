"""The PyPI client ``pl-sandbox-api`` (``sandbox_api``) drives the embedded server unchanged.

Both ways of serving are checked: keep-alive (the default) and ``--runserver``.
"""

from __future__ import annotations

import asyncio
import io
import tarfile
import uuid

import aiohttp
import pytest
from sandbox_api import ASandbox, Sandbox
from sandbox_api.exceptions import Sandbox400, Sandbox404


@pytest.fixture(params=["keep-alive", "runserver"])
def target(request):
    """The default server, then the one serving as ``runserver`` does."""
    name = "sandbox_target" if request.param == "keep-alive" else "runserver_target"
    return request.getfixturevalue(name)


@pytest.fixture
def client(target):
    return Sandbox(target.url)


def test_sync_info_endpoints(client):
    specs = client.specifications()
    assert specs["container"]["count"] == 20
    assert "embedded" in specs["host"]["docker_version"]
    usage = client.usage()
    assert usage["container"] == 0
    libraries = client.libraries()
    assert "bash" in libraries["bin"]


def test_sync_execute_without_environment(client):
    result = client.execute({"commands": ["echo hello", "-false"]})
    assert result["status"] == 0
    assert result["execution"][0]["stdout"] == "hello"


def test_sync_execute_with_a_file_object_and_with_bytes(client, kit, tmp_path):
    archive = kit.make_tgz({"in.txt": b"from file"})
    path = tmp_path / "env.tgz"
    path.write_bytes(archive)
    with path.open("rb") as handle:
        result = client.execute({"commands": ["cat in.txt"]}, handle)
    assert result["execution"][0]["stdout"] == "from file"
    result = client.execute({"commands": ["cat in.txt"]}, io.BytesIO(archive))
    assert result["execution"][0]["stdout"] == "from file"
    result = client.execute({"commands": ["cat in.txt"]}, archive)
    assert result["execution"][0]["stdout"] == "from file"


def test_sync_save_download_and_check(client, kit):
    result = client.execute({"commands": ["mkdir d", "echo saved > d/f.txt"], "save": True})
    env = result["environment"]
    downloaded = client.download(env)
    with tarfile.open(fileobj=downloaded, mode="r:gz") as tar:
        assert tar.extractfile("d/f.txt").read() == b"saved\n"
    assert client.download(env, "d/f.txt").read() == b"saved\n"
    size = client.check(env)
    assert isinstance(size, str) and int(size) == len(downloaded.getvalue())
    assert client.check(env, "d/f.txt") == "6"
    assert client.check(str(uuid.uuid4())) == 0
    assert client.check(env, "missing.txt") == 0
    reused = client.execute({"commands": ["cat d/f.txt"], "environment": env})
    assert reused["execution"][0]["stdout"] == "saved"


def test_sync_error_classes(client):
    with pytest.raises(Sandbox404) as missing:
        client.download(str(uuid.uuid4()))
    assert "No environment with UUID" in missing.value.response.text
    with pytest.raises(Sandbox400) as bad:
        client.execute({"commands": []})
    assert bad.value.response.text == "Command list cannot be empty"
    with pytest.raises(Sandbox404):
        client.execute({"commands": ["true"], "environment": str(uuid.uuid4())})


@pytest.mark.filterwarnings("ignore:In v4, passing bytes:DeprecationWarning")
def test_async_client_end_to_end(target, kit, request):
    archive = kit.make_tgz({"in.txt": b"async"})

    async def scenario() -> dict:
        async with ASandbox(target.url) as client:
            specs = await client.specifications()
            usage = await client.usage()
            libraries = await client.libraries()
            plain = await client.execute({"commands": ["echo plain"]})
            with_file = await client.execute(
                {"commands": ["cat in.txt", "echo more >> in.txt"], "save": True},
                io.BytesIO(archive),
            )
            with_bytes = await client.execute({"commands": ["cat in.txt"]}, archive)
            env = with_file["environment"]
            downloaded = await client.download(env)
            file = await client.download(env, "in.txt")
            checks = (await client.check(env), await client.check(env, "in.txt"))
            try:
                missing = await client.check(str(uuid.uuid4()))
            except aiohttp.ClientResponseError as exc:  # a HEAD 404 with a body, as runserver's
                missing = exc.message.split(":")[0]
            errors = []
            for call in (
                client.download(str(uuid.uuid4())),
                client.execute({"commands": "nope"}),
            ):
                try:
                    await call
                except (Sandbox400, Sandbox404) as exc:
                    errors.append((type(exc).__name__, exc.response.status))
            return {
                "specs": specs,
                "usage": usage,
                "libraries": libraries,
                "plain": plain,
                "with_file": with_file,
                "with_bytes": with_bytes,
                "downloaded": downloaded.getvalue(),
                "file": file.read(),
                "checks": checks,
                "missing": missing,
                "errors": errors,
            }

    got = asyncio.run(scenario())
    assert got["specs"]["container"]["count"] == 20
    assert set(got["usage"]) >= {"cpu", "memory", "container"}
    assert "libraries" in got["libraries"]
    assert got["plain"]["execution"][0]["stdout"] == "plain"
    assert got["with_file"]["execution"][0]["stdout"] == "async"
    assert got["with_bytes"]["execution"][0]["stdout"] == "async"
    assert got["file"] == b"asyncmore\n"
    assert got["checks"] == (str(len(got["downloaded"])), str(len(b"asyncmore\n")))
    # pl-sandbox-api's ASandbox cannot read runserver's HEAD 404, against the real server too
    runserver = request.node.callspec.params["target"] == "runserver"
    assert got["missing"] == ("Data after `Connection" if runserver else 0)
    assert got["errors"] == [("Sandbox404", 404), ("Sandbox400", 400)]
