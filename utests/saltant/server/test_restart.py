"""State survives a restart; running jobs are failed, published ones run again."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from .conftest import provision, start_server


def test_restart_keeps_everything(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = start_server(data, "--workers", "1")
    try:
        api = first.api()
        typed = provision(api)
        done = api.wait("executable", typed.job(api, {"seconds": 0})["uuid"])
        blocker = typed.job(api, {"seconds": 300})
        api.wait("executable", blocker["uuid"], ("running",))
        queued = typed.job(api, {"seconds": 0})  # the only worker is busy: stays published
        time.sleep(0.3)
        assert api.get(f"executabletaskinstances/{queued['uuid']}/").json()["state"] == "published"
        login = api.post("token/", json={"username": "admin", "password": "adminpw"}).json()
    finally:
        first.embedded.stop()
    assert "stopped while this job ran" in first.log(blocker["uuid"], "stderr")

    second = start_server(data, "--workers", "1", tokens=first.tokens)
    try:
        api = second.api()
        assert api.get(f"executabletasktypes/{typed.task_type['id']}/").json() == typed.task_type
        assert api.get(f"taskqueues/{typed.queue['id']}/").json() == typed.queue
        assert api.get(f"executabletaskinstances/{done['uuid']}/").json() == done
        stale = api.get(f"executabletaskinstances/{blocker['uuid']}/").json()
        assert stale["state"] == "failed"
        assert stale["datetime_finished"] is not None
        assert api.wait("executable", queued["uuid"])["state"] == "successful"
        # the JWT secret is kept, so tokens issued before the restart still work
        bearer = {"Authorization": f"Bearer {login['access']}"}
        assert api.get("users/", headers=bearer).status_code == 200
    finally:
        second.embedded.stop()


def test_the_admin_token_is_kept_when_none_is_given(tmp_path: Path) -> None:
    from jobharness.servers.base import EmbeddedServer

    data = tmp_path / "data"
    with EmbeddedServer("saltant", args=["--data-dir", str(data)]) as first:
        token = first.info["token"]
        assert len(token) == 40
        int(token, 16)
    with EmbeddedServer("saltant", args=["--data-dir", str(data)]) as second:
        assert second.info["token"] == token
        assert second.info["username"] == "admin"
        assert second.info["url"] == f"http://127.0.0.1:{second.info['port']}/api/"


def test_jobs_of_a_killed_server_are_failed_at_the_next_start(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = start_server(data)
    pidfile = tmp_path / "pids.json"
    api = first.api()
    typed = provision(api)
    job = typed.job(api, {"seconds": 300, "pidfile": str(pidfile)})
    api.wait("executable", job["uuid"], ("running",))
    deadline = time.monotonic() + 20
    while not pidfile.exists():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert first.embedded.pid is not None
    os.kill(first.embedded.pid, signal.SIGKILL)  # no chance to clean up
    try:
        second = start_server(data, tokens=first.tokens)
        try:
            stale = second.api().get(f"executabletaskinstances/{job['uuid']}/").json()
            assert stale["state"] == "failed"
            assert "stopped while this job ran" in second.log(job["uuid"], "stderr")
        finally:
            second.embedded.stop()
    finally:
        first.embedded.stop()
        for pid in json.loads(pidfile.read_text()):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_bad_options_are_reported(tmp_path: Path) -> None:
    def serve(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "jobharness",
                "serve",
                "saltant",
                "--data-dir",
                str(tmp_path),
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    no_password = serve("--user", "bob")
    assert no_password.returncode == 2
    assert "NAME:PASSWORD[:TOKEN]" in no_password.stderr
    reserved = serve("--user", "admin:pw")
    assert reserved.returncode == 2
    assert "reserved" in reserved.stderr
    workers = serve("--workers", "0")
    assert workers.returncode == 2
    assert "--workers" in workers.stderr
