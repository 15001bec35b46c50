"""Secrets never reach an output: pytest and Robot runs with failing tests, every way and level.

A saltant token and a password in a sandbox URL are given every supported
way (argument, environment, ini, Robot variable, ``Secret``); the tests
fail; then the console, JUnit XML, output.xml, log.html, report.html, the
exception texts and ``ps`` (taken while the run holds its clients) are
searched for each secret. The one case no library can prevent, a plain
string argument at Robot's TRACE level, must come with a warning.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from jobharness.targets import Target

from .figures import record

PASSWORD = "Pw-of-the-scan-42"
PS_MODULE = Path(__file__).with_name("ps_of_the_run.py")

PYTEST_MODULE = """\
import pathlib
from ps_of_the_run import ps_of_the_run

def test_fails_with_the_clients(sandbox, saltant, saltant_server):
    pathlib.Path("ps.txt").write_text(ps_of_the_run())
    assert saltant_server.info == sandbox

def test_fails_in_a_library_frame(sandbox):
    sandbox.execute({"commands": ["true"]}, timeout=-1)
"""

ROBOT_SUITE = """\
*** Settings ***
Library    robotlib.SaltantLibrary
Library    robotlib.SandboxLibrary

Variables  ps_of_the_run.py

*** Variables ***
${SECRET_TOKEN: Secret}    %{SCAN_TOKEN}
${TOKEN_ARG}    ${None}
${SANDBOX_ARG}    ${None}
${USE_SECRET}    no

*** Test Cases ***
Fails Connected
    IF    '${USE_SECRET}' == 'yes'
        Connect To Saltant    ${URL}    ${SECRET_TOKEN}
    ELSE
        Connect To Saltant    ${URL}    ${TOKEN_ARG}
    END
    Connect To Sandbox    ${SANDBOX_ARG}
    Evaluate    pathlib.Path($OUTPUT_DIR, "ps.txt").write_text($PS())    modules=pathlib
    ${r}=    Execute In Sandbox    false
    Execution Status Should Be    ${r}    0
"""


def _found(texts: dict[str, str], secrets: list[str]) -> list[str]:
    return [
        f"{secret!r} in {name}"
        for name, text in texts.items()
        for secret in secrets
        if secret in text
    ]


def _texts(directory: Path, *extra: str) -> dict[str, str]:
    texts = {
        path.name: path.read_text(errors="replace")
        for path in directory.rglob("*")
        if path.is_file() and path.suffix in (".xml", ".html", ".txt")
    }
    texts.update({f"console {index}": text for index, text in enumerate(extra)})
    return texts


@pytest.mark.parametrize("way", ["argument", "env", "ini"])
@pytest.mark.parametrize("verbosity", [[], ["-vv", "-l", "--tb=long"]])
def test_pytest_outputs_hold_no_secret(
    sandbox_server: Target, saltant_server: Target, tmp_path: Path, way: str, verbosity: list[str]
) -> None:
    token = str(saltant_server.info["token"])
    sandbox_url = sandbox_server.url.replace("http://", f"http://scan:{PASSWORD}@")
    (tmp_path / "test_scan.py").write_text(PYTEST_MODULE)
    shutil.copy(PS_MODULE, tmp_path)
    env = {key: value for key, value in os.environ.items() if "SALTANT" not in key}
    options = ["-p", "no:cacheprovider", "--junitxml", str(tmp_path / "junit.xml"), "-rA"]
    if way == "argument":
        options += [f"--saltant-url={saltant_server.url}", f"--saltant-token={token}"]
        options += [f"--sandbox-url={sandbox_url}"]
    elif way == "env":
        env.update(
            JOBHARNESS_SALTANT_URL=saltant_server.url,
            JOBHARNESS_SALTANT_TOKEN=token,
            JOBHARNESS_SANDBOX_URL=sandbox_url,
        )
    else:
        (tmp_path / "pytest.ini").write_text(
            f"[pytest]\nsaltant_url = {saltant_server.url}\nsaltant_token = {token}\n"
            f"sandbox_url = {sandbox_url}\n"
        )
    run = subprocess.run(
        [sys.executable, "-m", "pytest", *options, *verbosity, "test_scan.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 1, run.stdout[-3000:]
    texts = _texts(tmp_path, run.stdout, run.stderr)
    assert "ps.txt" in texts, run.stdout[-3000:]
    found = _found(texts, [token, PASSWORD])
    record(secret_scans=1, secrets_found=len(found))
    assert not found, found


@pytest.mark.parametrize("way", ["argument", "variable", "secret", "env"])
@pytest.mark.parametrize("level", ["INFO", "TRACE"])
def test_robot_outputs_hold_no_secret(
    sandbox_server: Target, saltant_server: Target, tmp_path: Path, way: str, level: str
) -> None:
    token = str(saltant_server.info["token"])
    sandbox_url = sandbox_server.url.replace("http://", f"http://scan:{PASSWORD}@")
    (tmp_path / "scan.robot").write_text(ROBOT_SUITE)
    env = {key: value for key, value in os.environ.items() if "SALTANT" not in key}
    env["SCAN_TOKEN"] = token
    shutil.copy(PS_MODULE, tmp_path)
    variables = {"URL": saltant_server.url}
    if way == "argument":
        variables.update(TOKEN_ARG=token, SANDBOX_ARG=sandbox_url)
    elif way == "variable":
        variables.update(SALTANT_TOKEN=token, SANDBOX_URL=sandbox_url)
    elif way == "secret":
        variables.update(USE_SECRET="yes")
        env["JOBHARNESS_SANDBOX_URL"] = sandbox_url
    else:
        env.update(JOBHARNESS_SALTANT_TOKEN=token, JOBHARNESS_SANDBOX_URL=sandbox_url)
    command = [sys.executable, "-m", "robot", "--loglevel", level, "--outputdir", "out"]
    for name, value in variables.items():
        command += ["--variable", f"{name}:{value}"]
    run = subprocess.run(
        [*command, "scan.robot"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-3000:]
    texts = _texts(tmp_path / "out", run.stdout, run.stderr)
    assert "ps.txt" in texts, run.stdout[-3000:]
    found = _found(texts, [token, PASSWORD])
    if way == "argument" and level == "TRACE":
        # Robot itself logs plain string arguments at TRACE: the library warns instead
        assert "Robot logs keyword arguments at TRACE level" in run.stderr
        record(secret_scans=1, secrets_warned=1)
        return
    record(secret_scans=1, secrets_found=len(found))
    assert not found, found
