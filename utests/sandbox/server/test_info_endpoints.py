"""/specifications/, /usages/ and /libraries/: the real server's keys, this host's figures."""

from __future__ import annotations

import os
import shutil
import threading
import time

from jobharness.servers.sandbox.options import SANDBOX_VERSION


def test_specifications_report_host_figures_and_configured_limits(sandbox_target, tight_target):
    response = sandbox_target.get("specifications/")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"host", "container"}
    host, container = body["host"], body["container"]
    assert set(host) == {"cpu", "memory", "docker_version", "sandbox_version"}
    assert host["cpu"]["logical"] == os.cpu_count()
    assert set(host["cpu"]) == {"core", "logical", "freq_min", "freq_max"}
    assert host["memory"]["ram"] == os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert all(size > 0 for size in host["memory"]["storage"].values())
    assert "embedded" in host["docker_version"]
    assert host["sandbox_version"] == SANDBOX_VERSION
    assert container["count"] == 20
    assert container["memory"] == {"ram": 100_000_000, "swap": 0, "storage": -1}
    assert container["process"] == -1
    assert set(container["io"]) == {"read_iops", "read_bps", "write_iops", "write_bps"}
    assert set(container["cpu"]) == {"count", "period", "shares", "quota"}
    assert container["working_dir_device"]
    assert tight_target.get("specifications/").json()["container"]["count"] == 1


def test_usages_sample_the_host_and_count_busy_slots(tight_target):
    body = tight_target.get("usages/").json()
    assert set(body) == {"cpu", "memory", "io", "network", "process", "container"}
    assert set(body["cpu"]) == {"frequency", "usage", "usage_avg"}
    assert 0.0 <= body["cpu"]["usage"] <= 1.0
    assert len(body["cpu"]["usage_avg"]) == 3
    assert set(body["network"]) == {
        "sent_bytes",
        "received_bytes",
        "sent_packets",
        "received_packets",
    }
    assert body["process"] > 1
    assert body["memory"]["ram"] > 0
    assert body["container"] == 0

    runner = threading.Thread(target=tight_target.run, args=({"commands": ["sleep 0.8"]},))
    runner.start()
    try:
        deadline = time.monotonic() + 5
        busy = 0
        while not busy and time.monotonic() < deadline:
            busy = tight_target.get("usages/").json()["container"]
        assert busy == 1
    finally:
        runner.join()
    assert tight_target.get("usages/").json()["container"] == 0


def test_libraries_list_installed_python_packages_and_binaries(sandbox_target):
    body = sandbox_target.get("libraries/").json()
    assert set(body) == {"libraries", "bin"}
    assert set(body["libraries"]) == {"system", "python", "perl", "c"}
    python = {name.lower(): version for name, version in body["libraries"]["python"].items()}
    assert "werkzeug" in python
    assert "bash" in body["bin"]
    assert body["bin"] == sorted(body["bin"])
    if shutil.which("dpkg"):
        assert "bash" in body["libraries"]["system"]
