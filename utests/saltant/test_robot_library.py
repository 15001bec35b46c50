"""SaltantLibrary's cleanup policy (test, suite, never), seen through the API after the run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from jobharness.backends.saltant import SaltantClient
from pytest_plugin._common import ServerTarget

from .conftest import Provisioned

SUITE = """\
*** Settings ***
Library    robotlib.SaltantLibrary    cleanup=${POLICY}

*** Test Cases ***
Leave An Instance Running
    ${job}=    Start Task Instance    ${TYPE_ID}    ${QUEUE_ID}    seconds=60
    Set Suite Variable    ${LEFT}    ${job}
    Evaluate    pathlib.Path($UUID_FILE).write_text($job.id)    modules=pathlib

See What Became Of It
    ${job}=    Get Task Instance    ${LEFT.id}
    Wait For Task Instance    ${job}    timeout=1.5 s    on_timeout=continue
    Task Instance State Should Be    ${job}    ${EXPECTED}
"""


@pytest.mark.parametrize(
    ("policy", "during", "after"),
    [
        ("test", "terminated", "terminated"),
        ("suite", "running", "terminated"),
        ("never", "running", "running"),
    ],
)
def test_cleanup_policy(
    tmp_path: Path,
    saltant_server: ServerTarget,
    saltant: SaltantClient,
    provisioned: Provisioned,
    policy: str,
    during: str,
    after: str,
) -> None:
    suite = tmp_path / "policy.robot"
    suite.write_text(SUITE)
    uuid_file = tmp_path / "uuid.txt"
    variables = {
        "SALTANT_URL": saltant_server.url,
        "POLICY": policy,
        "EXPECTED": during,
        "TYPE_ID": provisioned.task_type.id,
        "QUEUE_ID": provisioned.queue.id,
        "UUID_FILE": uuid_file,
    }
    command = [sys.executable, "-m", "robot", "--outputdir", str(tmp_path / "out")]
    for name, value in variables.items():
        command += ["--variable", f"{name}:{value}"]
    env = {**os.environ, "JOBHARNESS_SALTANT_TOKEN": str(saltant_server.info["token"])}
    run = subprocess.run(
        [*command, str(suite)], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr
    instances = saltant.executable_task_instances
    uuid = uuid_file.read_text()
    try:
        final = instances.wait_until_finished(uuid, timeout=3, on_timeout="continue")
        assert final.state == after
    finally:
        instances.terminate(uuid)


@pytest.mark.parametrize("given", [True, False])
def test_connect_to_a_server_by_url_with_its_logs_dir(
    saltant_server: ServerTarget, provisioned: Provisioned, given: bool
) -> None:
    from robotlib import SaltantLibrary

    library = SaltantLibrary(timeout=30)
    try:
        library.connect_to_saltant(
            saltant_server.url,
            saltant_server.info["token"],
            logs_dir=saltant_server.info["logs_dir"] if given else None,
        )
        job = library.start_task_instance(
            provisioned.task_type.id, provisioned.queue.id, arguments={"seconds": 0}
        )
        library.wait_for_task_instance(job)
        output = library.get_task_instance_output(job)
        assert output == ("stdout:\nslept 0 s" if given else "")
    finally:
        library.close()
