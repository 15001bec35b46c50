"""Readiness checks: a port, a file, a log line; early exits and time-outs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from jobharness.errors import EmbeddedServerError
from jobharness.servers.launcher import FileAppears, LogLine, ManagedProcess, PortOpen, free_port

from .processes import wait_gone

LISTEN = """
import socket, sys, time
time.sleep(0.2)
server = socket.create_server(("127.0.0.1", int(sys.argv[1])))
print("listening", flush=True)
while True:
    server.accept()[0].close()
"""


def test_ready_when_the_port_accepts_connections(tmp_path: Path) -> None:
    port = free_port()
    command = [sys.executable, "-c", LISTEN, str(port)]
    with ManagedProcess("listener", command, ready=PortOpen(port), workdir=tmp_path) as process:
        assert process.info == {"host": "127.0.0.1", "port": port}
        assert process.running and process.pid is not None
        pid = process.pid
    assert wait_gone([pid]) == []
    assert not process.running and process.pid is None and process.info == {}
    assert "listening" in process.last_log


def test_ready_when_a_json_file_appears(tmp_path: Path) -> None:
    script = 'sleep 0.2; echo \'{"url": "x"}\' > r.tmp && mv r.tmp ready.json; exec sleep 300'
    ready = FileAppears("ready.json", parse_json=True)
    with ManagedProcess("files", ["sh", "-c", script], ready=ready, workdir=tmp_path) as process:
        assert process.info == {"url": "x"}


def test_a_stale_file_does_not_count(tmp_path: Path) -> None:
    (tmp_path / "marker").write_text("from an earlier start")
    ready = FileAppears(tmp_path / "marker")
    script = "sleep 0.2; touch marker; exec sleep 300"
    with ManagedProcess("files", ["sh", "-c", script], ready=ready, workdir=tmp_path) as process:
        assert process.info == {"path": str(tmp_path / "marker")}
        assert (tmp_path / "marker").read_text() == ""


def test_ready_when_a_log_line_matches(tmp_path: Path) -> None:
    (tmp_path / "lines.log").write_text("serving on port 1 (an earlier start)\n")
    script = "echo starting; sleep 0.2; echo 'serving on port 1234'; exec sleep 300"
    ready = LogLine(r"serving on port (?P<port>\d+)$")
    with ManagedProcess("lines", ["sh", "-c", script], ready=ready, workdir=tmp_path) as process:
        assert process.info == {"port": "1234"}
        assert process.log_tail(2) == "starting\nserving on port 1234"


def test_an_exit_before_ready_is_reported_with_the_log(tmp_path: Path) -> None:
    process = ManagedProcess(
        "broken", ["sh", "-c", "echo cannot bind >&2; exit 3"], ready=PortOpen(free_port())
    )
    with pytest.raises(EmbeddedServerError) as info:
        process.start()
    assert "broken exited with status 3 before it was ready" in str(info.value)
    assert "cannot bind" in str(info.value)
    assert process.pid is None and not process.running
    assert not process.workdir.exists()  # its own directory is removed...
    assert "cannot bind" in process.last_log  # ...but the end of the log is kept


def test_a_death_by_signal_is_named(tmp_path: Path) -> None:
    process = ManagedProcess(
        "doomed", ["sh", "-c", "kill -KILL $$"], ready=PortOpen(free_port()), workdir=tmp_path
    )
    with pytest.raises(EmbeddedServerError, match="doomed was killed by SIGKILL before"):
        process.start()


def test_a_missing_program_is_reported(tmp_path: Path) -> None:
    process = ManagedProcess(
        "nothing", [str(tmp_path / "no-such-program")], ready=PortOpen(free_port())
    )
    with pytest.raises(EmbeddedServerError) as info:
        process.start()
    assert "exited with status 127" in str(info.value)
    assert "no-such-program" in str(info.value)


def test_not_ready_in_time_is_stopped_and_reported(tmp_path: Path) -> None:
    process = ManagedProcess(
        "slow",
        ["sh", "-c", "echo $$ > pid; echo still starting; exec sleep 300"],
        ready=FileAppears("never"),
        workdir=tmp_path,
        startup_timeout=1,
    )
    with pytest.raises(EmbeddedServerError) as info:
        process.start()
    text = str(info.value)
    assert "slow was not ready within 1 s" in text and "never" in text
    assert "still starting" in text
    assert wait_gone([int((tmp_path / "pid").read_text())]) == []
    assert tmp_path.exists()  # a given work directory is kept
