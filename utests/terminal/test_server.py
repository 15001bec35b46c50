"""``jobharness serve sshd`` from outside: what it announces, its account, its clean stop."""

from __future__ import annotations

import os
import pwd
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobharness.backends.terminal import SshHop, Terminal
from jobharness.jobs import JobState
from jobharness.servers.launcher import EmbeddedServer, free_port
from jobharness.servers.sshd.account import MARK, STATE_DIR
from jobharness.targets import Target

from .helpers import eventually, group_members, missing_openssh

AS_ROOT = os.geteuid() == 0


@pytest.fixture
def second_sshd() -> Iterator[EmbeddedServer]:
    """Another embedded sshd, on a port chosen here."""
    reason = missing_openssh()
    if reason:
        pytest.skip(reason)
    with EmbeddedServer("sshd", ["--port", str(free_port())]) as server:
        yield server


def _hop(info: dict[str, object], *, password: bool = False) -> SshHop:
    return SshHop(
        str(info["host"]),
        int(str(info["port"])),
        str(info["user"]),
        str(info["password"]) if password else None,
        None if password else str(info["client_key"]),
        str(info["known_hosts"]),
    )


def test_the_ready_file_says_what_a_client_needs(sshd_target: Target) -> None:
    server = sshd_target.server
    assert server is not None
    info = server.info
    assert info["backend"] == "sshd"
    assert info["host"] == "127.0.0.1"
    assert info["url"] == f"ssh://{info['user']}@127.0.0.1:{info['port']}"
    assert (
        Path(info["known_hosts"]).read_text().startswith(f"[127.0.0.1]:{info['port']} ssh-ed25519 ")
    )
    assert info["host_key"] in Path(info["known_hosts"]).read_text()
    assert stat.S_IMODE(Path(info["client_key"]).stat().st_mode) == 0o600
    assert stat.S_IMODE((server.workdir / "ready.json").stat().st_mode) == 0o600
    assert "Server listening on 127.0.0.1" in Path(info["log_file"]).read_text()


@pytest.mark.skipif(not AS_ROOT, reason="the test account is made only by root")
def test_the_test_account_has_a_clean_fast_shell(sshd_target: Target) -> None:
    entry = pwd.getpwnam(sshd_target.info["user"])
    assert entry.pw_uid != 0 and MARK in entry.pw_gecos
    assert entry.pw_shell == "/bin/bash"
    assert not any((Path(entry.pw_dir) / name).exists() for name in (".bashrc", ".profile"))
    password_file = STATE_DIR / f"{entry.pw_name}.password"
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    assert password_file.read_text().strip() == sshd_target.info["password"]


@pytest.mark.skipif(not AS_ROOT, reason="password logins need root")
def test_servers_running_at_once_share_the_password(
    sshd_target: Target, second_sshd: EmbeddedServer
) -> None:
    assert second_sshd.info["port"] != sshd_target.info["port"]
    assert second_sshd.info["password"] == sshd_target.info["password"]
    assert second_sshd.info["client_key"] != sshd_target.info["key_file"]
    for info in (second_sshd.info, sshd_target.server.info):  # type: ignore[union-attr]
        with Terminal(_hop(info, password=True)) as terminal:
            assert terminal.run("echo in").stdout == "in\n"


def test_a_stopped_server_leaves_nothing_running(second_sshd: EmbeddedServer) -> None:
    data_dir = Path(second_sshd.info["data_dir"])
    with Terminal(_hop(second_sshd.info), default_timeout=30) as terminal:
        job = terminal.start("sleep 300 & sleep 300; wait")
        assert job.pgid is not None and group_members(job.pgid)
        group = second_sshd.group_id
        assert group is not None
        second_sshd.stop()
        eventually(lambda: not group_members(job.pgid))  # type: ignore[arg-type]
        assert not group_members(group)
        job.wait(30)
        assert job.state is JobState.ERROR
    assert not data_dir.exists()
