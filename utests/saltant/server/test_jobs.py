"""The worker: states and timestamps, command semantics, logs, terminate, the state endpoint."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from .conftest import JOBSCRIPT, PYTHON, Api, Server, Setup, provision


def report(server: Server, uid: str) -> dict[str, object]:
    """What the job script printed first: its argv and environment."""
    return dict(json.loads(server.log(uid).splitlines()[0]))


def parse(stamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def test_success_and_failure_with_timestamps(api: Api, setup: Setup, server: Server) -> None:
    ok = setup.job(api, {"seconds": 0.2})
    assert api.get(f"executabletaskinstances/{ok['uuid']}/").json()["state"] in (
        "published",
        "running",
        "successful",
    )
    done = api.wait("executable", ok["uuid"])
    assert done["state"] == "successful"
    assert done["datetime_created"].endswith("Z")
    assert parse(done["datetime_finished"]) - parse(done["datetime_created"]) >= 0.2
    failed = api.wait("executable", setup.job(api, {"exit_code": 4})["uuid"])
    assert failed["state"] == "failed"
    assert failed["datetime_finished"] is not None
    assert "to stderr" in server.log(failed["uuid"], "stderr")


def test_arguments_are_one_argv_element_and_env_is_minimal(api: Api, server: Server) -> None:
    os_env = "HOME"
    typed = provision(api, environment_variables=[os_env])
    job = typed.job(api, {"b": [1, 2], "a": "x y"})
    api.wait("executable", job["uuid"], ("successful",))
    seen = report(server, job["uuid"])
    assert seen["argv"] == [json.dumps({"b": [1, 2], "a": "x y"})]
    env = seen["env"]
    assert isinstance(env, dict)
    assert env["JOB_UUID"] == job["uuid"]
    assert env[os_env] == os.environ[os_env]
    assert set(env) - {"JOB_UUID", "PATH", os_env} <= {"LC_CTYPE"}  # Python may add LC_CTYPE


def test_no_arguments_append_nothing(api: Api, setup: Setup, server: Server) -> None:
    job = setup.job(api, {})
    api.wait("executable", job["uuid"], ("successful",))
    assert report(server, job["uuid"])["argv"] == []


def test_json_file_option(api: Api, server: Server) -> None:
    typed = provision(api, json_file_option="--json-file")
    job = typed.job(api, {"k": "v"})
    api.wait("executable", job["uuid"], ("successful",))
    argv = report(server, job["uuid"])["argv"]
    assert isinstance(argv, list)
    assert argv[0] == "--json-file"
    assert argv[1].endswith(f"{job['uuid']}_args.json")
    assert not Path(argv[1]).exists()  # removed after the run


def test_no_shell_and_expandvars(api: Api, server: Server) -> None:
    typed = provision(api, command="echo a; echo $HOME")
    job = typed.job(api)
    api.wait("executable", job["uuid"], ("successful",))
    assert server.log(job["uuid"]) == f"a; echo {os.environ['HOME']}\n"


def test_missing_environment_variable_or_executable_fails(api: Api, server: Server) -> None:
    typed = provision(api, environment_variables=["JOBHARNESS_SURELY_UNSET"])
    job = api.wait("executable", typed.job(api)["uuid"])
    assert job["state"] == "failed"
    assert "JOBHARNESS_SURELY_UNSET" in server.log(job["uuid"], "stderr")
    missing = provision(api, command="/nonexistent/program")
    gone = api.wait("executable", missing.job(api)["uuid"])
    assert gone["state"] == "failed"
    assert "/nonexistent/program" in server.log(gone["uuid"], "stderr")


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not count)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_terminate_kills_the_whole_process_group(api: Api, setup: Setup, tmp_path: Path) -> None:
    pidfile = tmp_path / "pids.json"
    job = setup.job(api, {"pidfile": str(pidfile), "seconds": 300})
    deadline = time.monotonic() + 20
    while not pidfile.exists():
        assert time.monotonic() < deadline, "the job did not start"
        time.sleep(0.05)
    pids = json.loads(pidfile.read_text())
    assert all(alive(pid) for pid in pids)
    response = api.post(f"executabletaskinstances/{job['uuid']}/terminate/")
    assert response.status_code == 202
    assert response.json()["state"] == "running"
    done = api.wait("executable", job["uuid"])
    assert done["state"] == "terminated"
    assert done["datetime_finished"] is None
    while any(alive(pid) for pid in pids):
        assert time.monotonic() < deadline, f"survivors: {[p for p in pids if alive(p)]}"
        time.sleep(0.05)


def test_terminate_of_a_finished_job_changes_nothing(api: Api, setup: Setup) -> None:
    done = api.wait("executable", setup.job(api)["uuid"])
    response = api.post(f"executabletaskinstances/{done['uuid']}/terminate")
    assert response.status_code == 202
    assert response.json() == done
    assert api.get(f"executabletaskinstances/{done['uuid']}/").json() == done


def test_clone_or_terminate_of_unknown_uuid_is_an_empty_html_405(api: Api) -> None:
    for action in ("clone", "terminate"):
        for key in ("00000000-0000-0000-0000-000000000000", "nope"):
            response = api.post(f"executabletaskinstances/{key}/{action}/")
            assert response.status_code == 405
            assert response.headers["Content-Type"].startswith("text/html")
            assert response.content == b""


def test_state_endpoint_drives_states(api: Api, bob: Api) -> None:
    typed = provision(api, command=f"{PYTHON} {JOBSCRIPT}")
    job = typed.job(api, {"seconds": 0})
    api.wait("executable", job["uuid"])
    path = f"updatetaskinstancestatus/{job['uuid']}/"
    response = bob.patch(path, json={"state": "xyz"})
    assert response.status_code == 200
    assert response.json() == {"uuid": job["uuid"], "state": "xyz"}
    assert api.get(f"executabletaskinstances/{job['uuid']}/").json()["state"] == "xyz"
    assert bob.patch(path, data={"state": "failed"}).json()["state"] == "failed"
    too_long = bob.patch(path, json={"state": "much-too-long"})
    assert too_long.status_code == 405
    assert too_long.content == b""
    assert bob.patch(path, json={}).status_code == 405
    unknown = bob.patch(
        "updatetaskinstancestatus/00000000-0000-0000-0000-000000000001/", json={"state": "running"}
    )
    assert unknown.status_code == 400
    assert unknown.json() == "No task instance with UUID 00000000-0000-0000-0000-000000000001 found"
    api.patch(f"taskqueues/{typed.queue['id']}/", json={"active": False})
    assert bob.patch(path, json={"state": "running"}).status_code == 405  # re-validated, refused
