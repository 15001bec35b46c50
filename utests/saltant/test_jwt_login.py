"""JWT login (username and password) from settings, Robot and pytest, on an embedded server."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from jobharness.backends.saltant.target import SALTANT_TARGET, saltant_client
from jobharness.errors import ConfigurationError
from jobharness.servers.saltant.cli import read_login_file
from jobharness.settings import resolve
from jobharness.targets import open_target

pytest_plugins = ["pytester"]


def _settings(**given: str) -> dict:
    """The saltant settings with ``given`` values and nothing from the environment."""
    return {s.name: resolve(s, given.get(s.name), environ={}) for s in SALTANT_TARGET.settings}


def _cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def test_an_embedded_server_gets_the_login_user_and_the_client_uses_a_jwt() -> None:
    name, password = f"alice-{uuid.uuid4().hex[:8]}", f"pw-{uuid.uuid4().hex}"
    settings = _settings(saltant_username=name, saltant_password=password)
    with open_target(SALTANT_TARGET, settings) as target:
        server = target.server
        assert server is not None and server.pid is not None
        assert password not in _cmdline(server.pid)
        assert password not in repr(target) and password not in str(target.shown())
        for path in Path(target.workdir or "/nonexistent").rglob("*"):
            if path.is_file() and password.encode() in path.read_bytes():
                assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        with saltant_client(target) as client:
            assert client.session.headers["Authorization"].startswith("Bearer ")
            queue = client.task_queues.create(name=f"q-{name}")
            assert queue.user == name
            assert password not in repr(client)


def test_a_wrong_password_is_a_clear_error_without_the_password() -> None:
    name = f"bob-{uuid.uuid4().hex[:8]}"
    settings = _settings(saltant_username=name, saltant_password="right-one-123")
    with open_target(SALTANT_TARGET, settings) as target:
        with pytest.raises(Exception, match="401") as failure:
            saltant_client(target, username=name, password="wrong-one-456")
        assert "wrong-one-456" not in str(failure.value)


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({"saltant_username": "alice"}, "saltant_password"),
        ({"saltant_password": "x"}, "saltant_username"),
    ],
)
def test_half_a_login_is_a_clear_error(given: dict[str, str], missing: str) -> None:
    with pytest.raises(ConfigurationError, match=f"{missing} is not"):
        SALTANT_TARGET.configured(_settings(saltant_url="http://h.invalid/api/", **given))


def test_a_url_with_a_login_needs_no_token() -> None:
    info = SALTANT_TARGET.configured(
        _settings(saltant_url="http://h.invalid/api/", saltant_username="a", saltant_password="b")
    )
    assert info is not None
    assert (info["username"], info["password"], info["token"]) == ("a", "b", None)


@pytest.mark.parametrize(
    "content", ["not json", "[]", '{"username": "a"}', '{"username": "", "password": "b"}']
)
def test_a_malformed_login_file_is_a_clear_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "login.json"
    path.write_text(content)
    with pytest.raises(ConfigurationError, match="--login-file"):
        read_login_file(str(path))


def test_the_pytest_options_log_in_and_mask_the_password(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, password = f"carol-{uuid.uuid4().hex[:8]}", f"pw-{uuid.uuid4().hex}"
    pytester.makepyfile(
        f"""
        def test_login(saltant):
            assert saltant.session.headers["Authorization"].startswith("Bearer ")
            assert saltant.task_queues.create(name="q-{name}").user == "{name}"
        """
    )
    for key in [k for k in os.environ if "SALTANT" in k]:
        monkeypatch.delenv(key)  # no outer settings leak in
    result = pytester.runpytest_subprocess(
        f"--saltant-username={name}", f"--saltant-password={password}", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["jobharness saltant: embedded server*"])
    assert password not in result.stdout.str() + result.stderr.str()


SUITE = """\
*** Settings ***
Library    robotlib.SaltantLibrary

*** Variables ***
${USER}    %{LOGIN_USER}

*** Test Cases ***
Log In With A Password
    VAR    ${password: Secret}    %{LOGIN_PASSWORD}
    Connect To Saltant    username=${USER}    password=${password}
    ${queue}=    Create Task Queue    q-${USER}
    Should Be Equal    ${queue.user}    ${USER}
"""


def test_robot_logs_in_with_a_secret_password(tmp_path: Path) -> None:
    name, password = f"dave-{uuid.uuid4().hex[:8]}", f"pw-{uuid.uuid4().hex}"
    (tmp_path / "login.robot").write_text(SUITE)
    env = {k: v for k, v in os.environ.items() if "SALTANT" not in k}
    env.update(LOGIN_USER=name, LOGIN_PASSWORD=password)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "robot",
            "--outputdir",
            str(tmp_path / "out"),
            "--loglevel",
            "TRACE",
            str(tmp_path / "login.robot"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    output = (tmp_path / "out" / "output.xml").read_text()
    assert f"as {name} (JWT)" in output
    assert password not in output + run.stdout + run.stderr
    assert json.dumps(password)[1:-1] not in (tmp_path / "out" / "log.html").read_text()
