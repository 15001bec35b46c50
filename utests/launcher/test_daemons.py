"""Debian's sshd and mariadbd, private to the test, started and stopped through the launcher."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .daemons import private_mariadb, private_sshd, program
from .processes import alive, group_members, kill, wait_gone

needs_sshd = pytest.mark.skipif(
    program("sshd") is None or program("ssh-keygen") is None or program("ssh") is None,
    reason="sshd, ssh-keygen or ssh is not installed (Debian: openssh-server; ./dev.sh setup)",
)
needs_mariadb = pytest.mark.skipif(
    program("mariadbd") is None or program("mariadb-install-db") is None,
    reason="mariadbd is not installed (Debian: mariadb-server; ./dev.sh setup)",
)


@needs_sshd
def test_a_private_sshd_serves_and_leaves_no_process(tmp_path: Path) -> None:
    sshd = private_sshd(tmp_path / "sshd")
    process = sshd.process.start()
    session: subprocess.Popen[str] | None = None
    pids: list[int] = []
    try:
        assert process.info == {"host": "127.0.0.1", "port": sshd.port}
        hello = subprocess.run(
            sshd.ssh_command("echo", "hello"), capture_output=True, text=True, timeout=60
        )
        assert hello.stdout == "hello\n", hello.stderr
        session = subprocess.Popen(
            sshd.ssh_command("echo $$; exec sleep 300"), stdout=subprocess.PIPE, text=True
        )
        assert session.stdout is not None
        remote = int(session.stdout.readline())  # the session's process, in a session of its own
        assert process.pid is not None and process.group_id is not None
        pids = [process.pid, process.group_id, remote]
        group = process.group_id
        process.stop()
        assert wait_gone(pids) == []
        assert group_members(group) == []
        assert session.wait(60) != 0  # the connection went down with the server
    finally:
        process.stop()
        if session is not None:
            session.kill()
            session.wait()
        kill(pids)


@needs_mariadb
def test_a_private_mariadbd_serves_and_leaves_no_process(tmp_path: Path) -> None:
    mariadb = private_mariadb(tmp_path / "mariadb")
    process = mariadb.process.start()
    pids: list[int] = []
    try:
        assert process.info["port"] == str(mariadb.port)
        assert process.info["socket"] == str(mariadb.socket)
        assert process.pid is not None and process.group_id is not None
        pids = [process.pid, process.group_id]
        answer = subprocess.run(
            mariadb.client_command("SELECT 6 * 7"), capture_output=True, text=True, timeout=60
        )
        assert answer.stdout.strip() == "42", answer.stderr
        group = process.group_id
        process.stop()
        assert wait_gone(pids) == []
        assert group_members(group) == []
        assert not alive(pids[0])
        assert "Shutdown complete" in process.last_log
    finally:
        process.stop()
        kill(pids)


@needs_mariadb
def test_a_private_mariadbd_restarts_on_its_data(tmp_path: Path) -> None:
    mariadb = private_mariadb(tmp_path / "mariadb")
    with mariadb.process as process:
        create = "CREATE DATABASE kept; CREATE TABLE kept.t (n INT); INSERT INTO kept.t VALUES (7)"
        subprocess.run(mariadb.client_command(create), check=True, timeout=60)
        process.restart()
        answer = subprocess.run(
            mariadb.client_command("SELECT n FROM kept.t"),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert answer.stdout.strip() == "7", answer.stderr
