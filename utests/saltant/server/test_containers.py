"""Container task instances: failed clearly without a runtime, run through one when configured."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

from .conftest import Api, Server, start_server, unique


def container_setup(api: Api, container_type: str = "docker") -> tuple[dict, dict]:
    """A container task type and a queue that runs it."""
    kind = api.created(
        "containertasktypes/",
        {
            "name": unique("ctype"),
            "command_to_run": "echo hi",
            "container_image": "alpine:3",
            "container_type": container_type,
            "environment_variables": ["HOME"],
        },
    )
    whitelist = api.created(
        "taskwhitelists/", {"name": unique("cwl"), "whitelisted_container_task_types": [kind["id"]]}
    )
    queue = api.created("taskqueues/", {"name": unique("cq"), "whitelists": [whitelist["id"]]})
    return kind, queue


def test_without_a_runtime_the_instance_fails_clearly(api: Api, server: Server) -> None:
    kind, queue = container_setup(api)
    job = api.created(
        "containertaskinstances/", {"task_type": kind["id"], "task_queue": queue["id"]}
    )
    assert job["state"] == "created"
    done = api.wait("container", job["uuid"])
    assert done["state"] == "failed"
    assert "--container-runtime" in server.log(job["uuid"], "stderr")


def test_a_configured_runtime_gets_the_container_command(tmp_path: Path) -> None:
    runtime = tmp_path / "fake-docker"
    runtime.write_text(
        f"#!{sys.executable}\nimport json, os, sys\n"
        "print(json.dumps({'argv': sys.argv[1:], 'job': os.environ.get('JOB_UUID')}))\n"
    )
    runtime.chmod(runtime.stat().st_mode | stat.S_IXUSR)
    server = start_server(tmp_path / "data", "--container-runtime", str(runtime))
    try:
        api = server.api()
        kind, queue = container_setup(api)
        job = api.created(
            "containertaskinstances/",
            {"task_type": kind["id"], "task_queue": queue["id"], "arguments": {"n": 1}},
        )
        assert api.wait("container", job["uuid"])["state"] == "successful"
        seen = json.loads(server.log(job["uuid"]))
        assert seen["job"] == job["uuid"]
        assert seen["argv"] == [
            "run",
            "--rm",
            "--name",
            f"saltant-{job['uuid']}",
            "-e",
            "HOME",
            "-e",
            "JOB_UUID",
            "alpine:3",
            "echo",
            "hi",
            json.dumps({"n": 1}),
        ]
    finally:
        server.embedded.stop()
