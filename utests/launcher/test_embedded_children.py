"""An embedded server killed with SIGKILL leaves none of its jobs' processes behind."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
import uuid
from pathlib import Path
from typing import Any

import requests

from jobharness.servers.launcher import EmbeddedServer

from .processes import kill, wait_for, wait_gone


def _script(pids: Path) -> str:
    """Shell code writing its own PID and a background sleep's PID to ``pids``, then waiting."""
    return f"echo $$ >> {pids}; sleep 300 & echo $! >> {pids}; wait"


def _two_pids(pids: Path) -> list[int]:
    wait_for(lambda: pids.exists() and len(pids.read_text().split()) == 2)
    return [int(pid) for pid in pids.read_text().split()]


def _kill_server(server: EmbeddedServer, jobs: list[int]) -> None:
    pid = server.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    try:
        assert wait_gone([pid, *jobs]) == []
        wait_for(lambda: not server.running)
    finally:
        kill(jobs)
        server.stop()


def test_a_killed_sandbox_server_leaves_no_command_running(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    server = EmbeddedServer("sandbox").start()
    config = json.dumps({"commands": [{"command": _script(pids), "timeout": 300}]})

    def execute() -> None:
        with contextlib.suppress(requests.RequestException):  # the server dies meanwhile
            requests.post(f"{server.url}/execute/", data={"config": config}, timeout=120)

    threading.Thread(target=execute, daemon=True).start()
    _kill_server(server, _two_pids(pids))


def test_a_killed_saltant_server_leaves_no_job_running(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    server = EmbeddedServer("saltant", ["--data-dir", str(tmp_path / "data")]).start()
    headers = {"Authorization": f"Token {server.info['token']}"}

    def created(path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = requests.post(server.url + path, json=body, headers=headers, timeout=30)
        assert response.status_code == 201, response.text
        return dict(response.json())

    name = uuid.uuid4().hex[:10]
    command = f"bash -c '{_script(pids)}'"
    task_type = created("executabletasktypes/", {"name": name, "command_to_run": command})
    whitelist = created(
        "taskwhitelists/", {"name": name, "whitelisted_executable_task_types": [task_type["id"]]}
    )
    queue = created("taskqueues/", {"name": name, "whitelists": [whitelist["id"]]})
    created(
        "executabletaskinstances/",
        {"name": name, "task_type": task_type["id"], "task_queue": queue["id"], "arguments": {}},
    )
    _kill_server(server, _two_pids(pids))
