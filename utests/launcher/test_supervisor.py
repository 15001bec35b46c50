"""The supervisor on its own: exit statuses, the PID report, the lifeline, usage errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from jobharness.servers import supervisor
from jobharness.servers.launcher import free_port

from .processes import kill, wait_gone

SUPERVISOR = [sys.executable, "-I", "-S", str(supervisor.__file__)]


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SUPERVISOR, "--grace", "1", "--", *command],
        capture_output=True,
        text=True,
        timeout=60,
        start_new_session=True,
    )


@pytest.mark.parametrize(
    ("script", "status"),
    [("exit 0", 0), ("exit 3", 3), ("kill -TERM $$", -signal.SIGTERM), ("kill -9 $$", -9)],
)
def test_it_exits_like_the_command(script: str, status: int) -> None:
    assert _run("sh", "-c", script).returncode == status


def test_a_command_that_cannot_run() -> None:
    done = _run("/no/such/program")
    assert done.returncode == 127 and "cannot run '/no/such/program'" in done.stderr


def test_usage_errors() -> None:
    done = subprocess.run([*SUPERVISOR, "--fd"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "usage:" in done.stderr


def test_it_reports_the_pid_and_ends_the_group_at_the_end_of_the_lifeline() -> None:
    lifeline_read, lifeline_write = os.pipe()
    pid_read, pid_write = os.pipe()
    command = ["--fd", str(lifeline_read), "--pid-fd", str(pid_write), "--grace", "1", "--"]
    proc = subprocess.Popen(
        [*SUPERVISOR, *command, "sh", "-c", "sleep 300 & wait"],
        pass_fds=(lifeline_read, pid_write),
        start_new_session=True,
    )
    os.close(lifeline_read)
    os.close(pid_write)
    pid = 0
    try:
        with os.fdopen(pid_read) as report:
            pid = int(report.read())  # the supervisor closes it once the PID is written
        assert proc.poll() is None and os.getpgid(pid) == proc.pid
        os.close(lifeline_write)
        assert proc.wait(60) == -signal.SIGTERM
        assert wait_gone([pid]) == []
    finally:
        proc.kill()
        proc.wait()
        kill([pid] if pid else [])


def test_it_runs_as_a_module_too() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "jobharness.servers.supervisor", "--", "sh", "-c", "exit 5"],
        timeout=60,
        start_new_session=True,
    )
    assert done.returncode == 5


def test_free_port_is_bindable() -> None:
    import socket

    port = free_port()
    with socket.create_server(("127.0.0.1", port)):
        pass
