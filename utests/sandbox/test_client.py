"""The sync client against a real embedded sandbox server."""

from __future__ import annotations

import io
import os
import tarfile
import time
from pathlib import Path

import pytest

from jobharness.backends.sandbox import (
    ExecutionResult,
    Sandbox,
    Sandbox404,
    Sandbox503,
    pack_directory,
)
from jobharness.errors import ValidationError
from jobharness.servers.base import EmbeddedServer


def test_specifications_and_usage(sandbox: Sandbox) -> None:
    specs = sandbox.specifications()
    assert specs["host"]["sandbox_version"] == "3.0.3"
    assert specs["container"]["count"] > 0
    assert isinstance(sandbox.usage(), dict)


def test_libraries(sandbox: Sandbox) -> None:
    assert isinstance(sandbox.libraries(), dict)


def test_execute_success(sandbox: Sandbox) -> None:
    result = sandbox.execute(
        {
            "commands": ["echo hi", "printf '  padded  \\n\\n' >&2", "echo $NAME"],
            "environ": {"NAME": "x"},
        }
    )
    assert isinstance(result, ExecutionResult)
    assert result.ok and result.status_name == "OK" and result.failed_command is None
    assert [(c.command, c.stdout, c.stderr) for c in result.execution] == [
        ("echo hi", "hi", ""),
        ("printf '  padded  \\n\\n' >&2", "", "padded"),
        ("echo $NAME", "x", ""),
    ]
    assert result.environment is None and result.expire is None


def test_failing_command_stops_the_run_without_raising(sandbox: Sandbox) -> None:
    result = sandbox.execute({"commands": ["-false", "echo a", "exit 3", "echo never"]})
    assert result.status == 3 and result.status_name == "EXIT_3"
    assert [c.command for c in result.execution] == ["false", "echo a", "exit 3"]
    assert result.failed_command == result.execution[-1]


def test_timeout_status(sandbox: Sandbox) -> None:
    result = sandbox.execute({"commands": [{"command": "sleep 5", "timeout": 0.3}]})
    assert result.status == -2 and result.status_name == "TIMEOUT"
    assert result.execution[0].timed_out


def test_result_path_and_missing_result(sandbox: Sandbox) -> None:
    found = sandbox.execute({"commands": ["printf '42\\n' > out"], "result_path": "out"})
    assert found.result == "42\n"
    missing = sandbox.execute({"commands": ["exit 4"], "result_path": "nope"})
    assert missing.status_name == "RESULT_NOT_FOUND"
    assert missing.failed_command is not None and missing.failed_command.exit_code == 4


def test_save_check_download_extract(sandbox: Sandbox, tmp_path: Path) -> None:
    saved = sandbox.execute({"commands": ["mkdir -p d", "echo one > d/f.txt"], "save": True})
    assert saved.environment and saved.expire is not None
    env = saved.environment
    size = sandbox.check(env)
    assert isinstance(size, int) and size > 0
    assert sandbox.check(env, "d/f.txt") == 4
    assert sandbox.check(env, "d/absent.txt") == 0
    assert sandbox.check("00000000-0000-4000-8000-000000000000") == 0
    archive = sandbox.download(env)
    assert len(archive) == size
    assert sandbox.download(env, "d/f.txt") == b"one\n"
    assert sandbox.download_to(env, tmp_path / "x" / "env.tgz").read_bytes() == archive
    assert sandbox.download_to(env, tmp_path / "f.txt", "d/f.txt").read_text() == "one\n"
    out = sandbox.extract(env, tmp_path / "unpacked")
    assert (out / "d" / "f.txt").read_text() == "one\n"
    with pytest.raises(Sandbox404):
        sandbox.download(env, "d/absent.txt")
    # a stored environment is the base of a new run; the stored one never changes
    again = sandbox.execute(
        {"commands": ["cat d/f.txt", "echo two > d/f.txt"], "environment": env, "save": True}
    )
    assert again.execution[0].stdout == "one" and again.environment != env
    assert sandbox.download(env, "d/f.txt") == b"one\n"


def make_tree(root: Path) -> Path:
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text("alpha")
    (root / "sub" / "b.txt").write_text("beta")
    return root


@pytest.mark.parametrize("kind", ["directory", "path", "str", "bytes", "file object"])
def test_environment_in_every_form(sandbox: Sandbox, tmp_path: Path, kind: str) -> None:
    directory = make_tree(tmp_path / "env")
    data = pack_directory(directory)
    archive = tmp_path / "env.tgz"
    archive.write_bytes(data)
    source = {
        "directory": directory,
        "path": archive,
        "str": str(archive),
        "bytes": data,
        "file object": io.BytesIO(data),
    }[kind]
    result = sandbox.execute({"commands": ["cat a.txt sub/b.txt", "ls -A"]}, source)
    assert result.ok, result.summary()
    assert result.execution[0].stdout == "alphabeta"
    assert result.execution[1].stdout.split() == ["a.txt", "sub"]


def test_uploaded_members_replace_stored_ones(sandbox: Sandbox, tmp_path: Path) -> None:
    saved = sandbox.execute({"commands": ["echo old > a.txt", "echo kept > k.txt"], "save": True})
    result = sandbox.execute(
        {"commands": ["cat a.txt k.txt"], "environment": saved.environment},
        make_tree(tmp_path / "env"),
    )
    assert result.execution[0].stdout == "alphakept"


def test_validation_happens_before_sending(sandbox: Sandbox) -> None:
    with pytest.raises(ValidationError, match=r"^commands\[1\]\.timeout"):
        sandbox.execute({"commands": ["true", {"command": "x", "timeout": 0}]})
    assert sandbox.validate({"commands": ["true"]}) == '{"commands": ["true"]}'


def test_url_with_trailing_slash(sandbox_server) -> None:  # type: ignore[no-untyped-def]
    with Sandbox(sandbox_server.url + "/") as client:
        assert client.execute({"commands": ["true"]}).ok
        assert client.url == sandbox_server.url + "/"


@pytest.fixture(scope="module")
def busy_server() -> object:
    """A server with one container that gives up waiting for it after 0.2 s."""
    with EmbeddedServer("sandbox", ["--containers", "1", "--wait-for-container", "0.2"]) as server:
        yield server


def test_real_503_is_retried_until_a_container_is_free(
    busy_server: EmbeddedServer, tmp_path: Path
) -> None:
    with (
        Sandbox(busy_server.url, retries=0) as blocker,
        Sandbox(busy_server.url, retries=5, backoff=0.2) as patient,
    ):
        held = tmp_path / "held"  # the embedded server runs commands on this machine
        job = blocker.start({"commands": [f"touch {held}; sleep 1"]})
        deadline = time.monotonic() + 10  # until the blocker's request took the only container
        while not held.exists():
            assert time.monotonic() < deadline, "the blocker's request never started"
            time.sleep(0.01)
        with pytest.raises(Sandbox503):
            blocker.execute({"commands": ["true"]})
        assert patient.execute({"commands": ["echo late"]}).execution[0].stdout == "late"
        assert job.wait(10).ok


def test_saved_archives_have_clean_member_names(sandbox: Sandbox) -> None:
    saved = sandbox.execute({"commands": ["touch x"], "save": True})
    assert saved.environment
    with tarfile.open(fileobj=io.BytesIO(sandbox.download(saved.environment))) as archive:
        assert archive.getnames() == ["x"]


def test_loopback_server_bypasses_proxy_settings(
    sandbox_server, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with Sandbox(sandbox_server.url, retries=0) as client:
        assert client.specifications()["host"]["sandbox_version"] == "3.0.3"


def test_an_environment_holding_a_link_is_extracted(sandbox: Sandbox, tmp_path: Path) -> None:
    saved = sandbox.execute(
        {"commands": ["ln -s /etc/hostname host", "mkdir d", "echo x > d/f"], "save": True}
    )
    assert saved.environment
    out = sandbox.extract(saved.environment, tmp_path / "unpacked")
    assert os.readlink(out / "host") == "/etc/hostname"
    assert (out / "d" / "f").read_text() == "x\n"
