"""DensefogLibrary: in process, and in Robot runs whose effects are checked through the API."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from jobharness.backends.densefog import DensefogClient
from jobharness.servers.base import EmbeddedServer
from jobharness.targets import Target

from .helpers import unique

SUITE = """\
*** Settings ***
Library    robotlib.DensefogLibrary    cleanup=${POLICY}

*** Test Cases ***
Leave Instances
    ${made}=    Create Densefog Resources    instance    count=${2}    name=${NAME}
    ${ids}=    Evaluate    ",".join($made["instanceIds"])
    Evaluate    pathlib.Path($IDS_FILE).write_text($ids)    modules=pathlib

See What Became Of Them
    ${ids}=    Evaluate    pathlib.Path($IDS_FILE).read_text().split(",")    modules=pathlib
    ${statuses}=    Wait For Densefog Resources    instance    @{ids}    timeout=3 s
    Should Be Equal    ${statuses}[${ids}[0]]    ${EXPECTED}
"""


def robot(tmp_path: Path, suite: str, variables: dict[str, object], env: dict[str, str]) -> str:
    """Run ``suite`` with ``variables``; return its console output (asserting it passed)."""
    path = tmp_path / "suite.robot"
    path.write_text(suite)
    command = [sys.executable, "-m", "robot", "--outputdir", str(tmp_path / "out")]
    for name, value in variables.items():
        command += ["--variable", f"{name}:{value}"]
    done = subprocess.run(
        [*command, str(path)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def outer_env(target: Target) -> dict[str, str]:
    """The job table of ``target`` for a Robot run (in the environment: it may hold a password)."""
    return {"JOBHARNESS_DENSEFOG_JOB_TABLE": str(target.info["job_table"])}


@pytest.mark.parametrize(
    ("policy", "during", "after"),
    [("test", "deleted", "deleted"), ("suite", "active", "deleted"), ("never", "active", "active")],
)
def test_cleanup_policy(
    tmp_path: Path,
    densefog_server: Target,
    policy: str,
    during: str,
    after: str,
) -> None:
    ids_file = tmp_path / "ids.txt"
    variables = {
        "DENSEFOG_URL": densefog_server.url,
        "POLICY": policy,
        "EXPECTED": during,
        "IDS_FILE": ids_file,
        "NAME": unique("policy"),
    }
    robot(tmp_path, SUITE, variables, outer_env(densefog_server))
    ids = ids_file.read_text().split(",")
    with DensefogClient(densefog_server.url) as client:
        found = client.resources("instance", ids)
        try:
            assert found.wait(30) == dict.fromkeys(ids, after)
        finally:
            found.clean_up()


SECRET_SUITE = """\
*** Settings ***
Library    robotlib.DensefogLibrary    cleanup_timeout=3 s

*** Variables ***
${HEADERS: Secret}    %{OUTER_HEADERS}

*** Test Cases ***
Headers Are Secrets
    Connect To Densefog    ${URL}    headers=${HEADERS}    worker_tick=0.1 s
    ${made}=    Create Densefog Resources    instance    count=${1}
    Wait For Densefog Resources    instance    ${made}[instanceIds]    status=active
    ${job}=    Get Densefog Job    ${made}
    Wait For Densefog Job    ${job}
    Run Keyword And Expect Error    *retCode 4101*    Connect And Call With Wrong Headers

Cut By Timeout
    [Timeout]    1 s
    Connect To Densefog    ${URL}    headers=${HEADERS}
    ${made}=    Create Densefog Resources    instance    count=${1}
    Evaluate    pathlib.Path($IDS_FILE).write_text($made["instanceIds"][0])    modules=pathlib
    Sleep    30 s

*** Keywords ***
Connect And Call With Wrong Headers
    Connect To Densefog    ${URL}    headers=X-Le-Key: alice; X-Le-Secret: nope    alias=wrong
    Call Densefog Action    DescribeInstances
"""


def test_secrets_stay_out_of_the_logs_and_a_timeout_still_cleans_up(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    secret = "robot-secret-51c"
    keys.write_text(f"alice:{secret}\n")
    args = ["--access-keys-file", str(keys), "--worker-tick", "0.1"]
    with EmbeddedServer("densefog", args) as server:
        path = tmp_path / "suite.robot"
        path.write_text(SECRET_SUITE)
        ids_file = tmp_path / "id.txt"
        env = {**os.environ, "OUTER_HEADERS": f"X-Le-Key: alice; X-Le-Secret: {secret}"}
        command = [sys.executable, "-m", "robot", "--outputdir", str(tmp_path / "out")]
        command += ["--loglevel", "DEBUG", "--variable", f"URL:{server.url}"]
        command += ["--variable", f"IDS_FILE:{ids_file}", str(path)]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert "1 passed, 1 failed" in done.stdout, done.stdout + done.stderr
        assert "Test timeout 1 second exceeded" in (tmp_path / "out" / "output.xml").read_text()
        for name in ("output.xml", "log.html", "report.html"):
            assert secret not in (tmp_path / "out" / name).read_text(), name
        assert secret not in done.stdout + done.stderr
        with DensefogClient(server.url, f"X-Le-Key: alice; X-Le-Secret: {secret}") as client:
            rid = ids_file.read_text()
            assert client.resources("instance", [rid]).wait(30) == {rid: "deleted"}


def test_the_library_in_process(densefog_server: Target) -> None:
    from robotlib import DensefogLibrary

    library = DensefogLibrary(timeout=30)
    try:
        library.connect_to_densefog(
            densefog_server.url, job_table=str(densefog_server.info["job_table"])
        )
        job = library.submit_densefog_job("RunJob", {"job": "Echo", "params": {"a": 1}})
        result = library.wait_for_densefog_job(job)
        assert result.value == {"a": 1}
        details = library.get_densefog_job_details(job)
        assert details["status"] == "finished" and details["trys"] == 1
        assert details["action"] == "Echo" and details["stuck"] is False
        library.densefog_job_state_should_be(job, "finished")
        with pytest.raises(AssertionError, match="expected state 'error', got 'finished'"):
            library.densefog_job_state_should_be(job, "error")
        kind = library.register_densefog_resource_type("instance", delete_action="DeleteInstances")
        assert kind.describe_action == "DescribeInstances"
    finally:
        library.close()
