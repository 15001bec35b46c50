"""Time budget, hard cut-off, process-group kills and the 503 of a full pool."""

from __future__ import annotations

import contextlib
import json
import resource
import threading
import time

import requests

from jobharness.servers.base import EmbeddedServer


def test_default_timeout_is_the_execute_timeout_as_a_float(tight_target):
    body = tight_target.run({"commands": ["sleep 5"]})
    assert body["execution"][0]["stderr"] == "Command timed out after 1.0 seconds\n"


def test_requested_timeouts_are_capped_by_the_budget_left(tight_target):
    body = tight_target.run(
        {"commands": [{"command": "sleep 0.2", "timeout": 5}, {"command": "sleep 5", "timeout": 5}]}
    )
    first, second = body["execution"]
    assert first["exit_code"] == 0
    assert second["exit_code"] == -2
    shown = float(second["stderr"].removeprefix("Command timed out after ").split()[0])
    assert 0 < shown <= 0.8
    assert abs(shown - (1.0 - first["time"])) < 1e-6


def test_timeout_zero_is_cut_by_the_hard_timeout(tight_target):
    body = tight_target.run({"commands": [{"command": "sleep 5", "timeout": 0}]})
    entry = body["execution"][0]
    assert entry["exit_code"] == -2
    assert entry["stderr"] == "Command timed out after 1.5 seconds\n"


def test_a_timeout_kills_the_whole_process_group(sandbox_target, kit):
    body = sandbox_target.run(
        {
            "commands": [{"command": "sleep 60 & echo $! > bg.pid; exec sleep 60", "timeout": 0.3}],
            "save": True,
        }
    )
    assert body["status"] == -2
    pid = int(sandbox_target.get(f"files/{body['environment']}/bg.pid/").text)
    assert not kit.alive(pid)


def test_background_processes_end_with_their_request(sandbox_target, kit):
    body = sandbox_target.run(
        {"commands": ["nohup sleep 60 >/dev/null 2>&1 & echo $! > bg.pid"], "save": True}
    )
    assert body["status"] == 0
    assert body["execution"][0]["time"] < 5  # the request did not wait for the sleep
    pid = int(sandbox_target.get(f"files/{body['environment']}/bg.pid/").text)
    assert not kit.alive(pid)


def test_background_processes_live_on_during_later_commands(sandbox_target):
    body = sandbox_target.run(
        {
            "commands": [
                "(sleep 0.2; echo late > late.txt) &",
                "until [ -s late.txt ]; do sleep 0.02; done; cat late.txt",
            ]
        }
    )
    assert body["execution"][1]["stdout"] == "late", body


def test_full_pool_answers_503_then_recovers(tight_target):
    holder = threading.Thread(
        target=tight_target.run, args=({"commands": [{"command": "sleep 0.9", "timeout": 2}]},)
    )
    holder.start()
    try:
        deadline = time.monotonic() + 5
        while tight_target.get("usages/").json()["container"] == 0:
            assert time.monotonic() < deadline, "the first request never started"
        response = tight_target.execute({"commands": ["true"]})
        assert response.status_code == 503
        assert response.reason == "Service Unavailable"
        assert response.text == "Sandbox overloaded, retry after a few seconds."
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    finally:
        holder.join()
    assert tight_target.run({"commands": ["true"]})["status"] == 0


def test_validation_errors_do_not_wait_for_a_slot(tight_target):
    holder = threading.Thread(
        target=tight_target.run, args=({"commands": [{"command": "sleep 0.9", "timeout": 2}]},)
    )
    holder.start()
    try:
        while tight_target.get("usages/").json()["container"] == 0:
            pass
        assert tight_target.execute({"commands": []}).status_code == 400
    finally:
        holder.join()


def _post_quietly(url: str, config: dict) -> None:
    with contextlib.suppress(requests.RequestException):
        requests.post(url, data={"config": json.dumps(config)}, timeout=60)


def test_stopping_the_server_kills_running_commands(kit, tmp_path):
    marker = tmp_path / "pid"
    with EmbeddedServer("sandbox") as server:
        config = {"commands": [{"command": f"echo $$ > {marker}; sleep 60", "timeout": 30}]}
        request = threading.Thread(
            target=_post_quietly, args=(f"{server.url}/execute/", config), daemon=True
        )
        request.start()
        deadline = time.monotonic() + 10
        while not (marker.exists() and marker.read_text().strip()):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        pid = int(marker.read_text())
        assert kit.alive(pid)
    deadline = time.monotonic() + 5
    while kit.alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not kit.alive(pid)


def test_resource_limits_are_configurable():
    args = ["--memory-limit", "200000000", "--cpu-limit", "7", "--process-limit", "50"]
    with EmbeddedServer("sandbox", args=args) as server:
        config = {"commands": ["ulimit -v; ulimit -t; ulimit -u; ulimit -c; echo $0"]}
        response = requests.post(
            f"{server.url}/execute/", data={"config": json.dumps(config)}, timeout=10
        )
        lines = response.json()["execution"][0]["stdout"].splitlines()
        assert lines == [str(200_000_000 // 1024), "7", "50", "0", "bash"]
        specs = requests.get(f"{server.url}/specifications/", timeout=10).json()["container"]
        assert (specs["memory"]["ram"], specs["process"]) == (200_000_000, 50)


def test_no_limits_with_minus_one():
    args = ["--memory-limit", "-1", "--cpu-limit", "-1"]
    with EmbeddedServer("sandbox", args=args) as server:
        config = {"commands": ["ulimit -v; ulimit -t"]}
        response = requests.post(
            f"{server.url}/execute/", data={"config": json.dumps(config)}, timeout=10
        )
        inherited = [_shown(resource.RLIMIT_AS, 1024), _shown(resource.RLIMIT_CPU, 1)]
        assert response.json()["execution"][0]["stdout"].splitlines() == inherited


def _shown(kind: int, unit: int) -> str:
    """How bash's ``ulimit`` prints the soft limit this process passes on."""
    soft = resource.getrlimit(kind)[0]
    return "unlimited" if soft == resource.RLIM_INFINITY else str(soft // unit)
