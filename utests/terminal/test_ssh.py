"""The ssh side: logins by key and password, host keys, jumps, one connection, prompt hops."""

from __future__ import annotations

import dataclasses
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pexpect
import pytest

from jobharness.backends.terminal import (
    AuthRefused,
    HostKeyChanged,
    HostKeyUnknown,
    NeedsInteractiveSession,
    SessionBroken,
    SshHop,
    Terminal,
    TerminalUnreachable,
    python,
    su,
    sudo,
)
from jobharness.deadline import Deadline
from jobharness.jobs import JobState
from jobharness.targets import Target

from .helpers import eventually, group_members, logins

Factory = Callable[..., Terminal]


def test_key_and_password_logins(
    key_hop: SshHop, password_hop: SshHop, sshd_terminal_factory: Factory
) -> None:
    for hop in (key_hop, password_hop):
        assert sshd_terminal_factory(hop).run("id -un").stdout.strip() == hop.user


def test_a_wrong_password_is_refused(password_hop: SshHop, sshd_terminal_factory: Factory) -> None:
    wrong = dataclasses.replace(password_hop, password="not-the-password")
    with pytest.raises(AuthRefused, match="Permission denied") as caught:
        sshd_terminal_factory(wrong).open()
    assert "not-the-password" not in str(caught.value)


def test_an_unknown_host_key_is_refused_unless_accept_new(
    key_hop: SshHop, tmp_path: Path, sshd_terminal_factory: Factory
) -> None:
    known = tmp_path / "known_hosts"
    known.write_text("")
    with pytest.raises(HostKeyUnknown, match="No ED25519 host key is known"):
        sshd_terminal_factory(dataclasses.replace(key_hop, known_hosts=str(known))).open()
    accepting = dataclasses.replace(key_hop, known_hosts=str(known), host_key_policy="accept-new")
    assert sshd_terminal_factory(accepting).run("echo in").stdout == "in\n"
    assert f"[{key_hop.host}]:{key_hop.port} ssh-ed25519 " in known.read_text()


def test_a_changed_host_key_is_refused_whatever_the_policy(
    key_hop: SshHop, tmp_path: Path, sshd_terminal_factory: Factory
) -> None:
    other_key = "AAAAC3NzaC1lZDI1NTE5AAAAIGDa0ZJEzvSrhDTEkzQHde6bQXG7hboEqyZ0ZuczVGm3"
    known = tmp_path / "known_hosts"
    known.write_text(f"[{key_hop.host}]:{key_hop.port} ssh-ed25519 {other_key}\n")
    for policy in ("strict", "accept-new"):
        hop = dataclasses.replace(key_hop, known_hosts=str(known), host_key_policy=policy)
        with pytest.raises(HostKeyChanged, match="has changed"):
            sshd_terminal_factory(hop).open()


def test_nothing_listening_is_unreachable(key_hop: SshHop, sshd_terminal_factory: Factory) -> None:
    from jobharness.servers.launcher import free_port

    with pytest.raises(TerminalUnreachable, match="Connection refused"):
        sshd_terminal_factory(dataclasses.replace(key_hop, port=free_port())).open()


def test_one_login_serves_every_command_job_and_copy(
    sshd_target: Target, key_hop: SshHop, sshd_terminal_factory: Factory, tmp_path: Path
) -> None:
    log, user = sshd_target.info["log_file"], str(key_hop.user)
    terminal = sshd_terminal_factory(key_hop)
    before = logins(log, user)
    for _ in range(5):
        terminal.run("true").check()
    terminal.start("true").wait(30)
    (tmp_path / "f").write_bytes(b"x")
    terminal.copy_to(tmp_path / "f", f"/tmp/jh-mux-{os.getpid()}")
    terminal.run(f"rm -f /tmp/jh-mux-{os.getpid()}")
    assert terminal.logins == 1
    eventually(lambda: logins(log, user) >= before + 1)
    assert logins(log, user) == before + 1


def test_a_jump_goes_through_the_first_hop(
    sshd_target: Target, key_hop: SshHop, password_hop: SshHop, sshd_terminal_factory: Factory
) -> None:
    log, user = sshd_target.info["log_file"], str(key_hop.user)
    before = logins(log, user)
    terminal = sshd_terminal_factory(password_hop, key_hop)
    assert terminal.plan.ssh == (password_hop, key_hop) and not terminal.plan.tail
    client = terminal.run("echo $SSH_CONNECTION").stdout.split()
    assert client[0] == "127.0.0.1" and client[3] == str(key_hop.port)
    assert logins(log, user) == before + 2  # the jump host, then the target through it


def test_a_lost_connection_breaks_the_command_and_the_next_call_logs_in_again(
    key_hop: SshHop, sshd_terminal_factory: Factory
) -> None:
    terminal = sshd_terminal_factory(key_hop)
    job = terminal.start("sleep 300")
    assert terminal.master is not None and terminal.master.process is not None
    terminal.master.process.stop()  # the connection goes away
    job.wait(30)
    assert job.state is JobState.ERROR and job.native_state == "lost"
    eventually(lambda: not group_members(job.pgid))  # type: ignore[arg-type]
    assert terminal.run("echo back").stdout == "back\n"
    assert terminal.logins == 2


def test_without_reconnect_a_lost_connection_is_reported(
    key_hop: SshHop, sshd_terminal_factory: Factory
) -> None:
    terminal = sshd_terminal_factory(key_hop, reconnect=False)
    terminal.open()
    assert terminal.master is not None and terminal.master.process is not None
    terminal.master.process.stop()
    with pytest.raises(SessionBroken, match="is gone"):
        terminal.run("true")


def test_su_passes_over_a_pipe_with_its_password_on_stdin(
    key_hop: SshHop, password_hop: SshHop, sshd_terminal_factory: Factory
) -> None:
    user, password = str(password_hop.user), str(password_hop.password)
    terminal = sshd_terminal_factory(key_hop, su(user, password))
    result = terminal.run("id -un; cat", stdin="through su\n")
    assert (result.status, result.stdout) == (0, f"{user}\nthrough su\n")
    job = terminal.start("sleep 300")
    assert job.cancel() and job.status == -15
    with pytest.raises(AuthRefused, match=r"su to .* refused: su: Authentication failure") as bad:
        sshd_terminal_factory(key_hop, su(user, "wrong-password")).run("id")
    assert "wrong-password" not in str(bad.value)


def test_sudo_gets_its_password_on_stdin(
    key_hop: SshHop, password_hop: SshHop, remote: Terminal, sshd_terminal_factory: Factory
) -> None:
    if remote.run("command -v sudo").status != 0:
        pytest.skip("sudo is not installed on the target (Debian: apt-get install sudo)")
    terminal = sshd_terminal_factory(key_hop, sudo(password_hop.password))
    try:
        result = terminal.run("id -u")
    except AuthRefused as refused:  # the test account is not in the sudoers file
        assert "sudoers" in str(refused) and str(password_hop.password) not in str(refused)
    else:
        assert result.stdout == "0\n"


def test_a_hop_that_needs_a_terminal_is_for_interactive_sessions(
    key_hop: SshHop, sshd_terminal_factory: Factory
) -> None:
    terminal = sshd_terminal_factory(key_hop, python())
    with pytest.raises(NeedsInteractiveSession, match="only a terminal can pass"):
        terminal.run("true")


def test_an_interactive_pty_through_the_master(
    sshd_target: Target, key_hop: SshHop, sshd_terminal_factory: Factory
) -> None:
    terminal = sshd_terminal_factory(key_hop)
    argv = terminal.pty_argv()
    assert "-tt" in argv
    before = logins(sshd_target.info["log_file"], str(key_hop.user))
    child = pexpect.spawn(argv[0], argv[1:], timeout=30, encoding="utf-8")
    try:
        child.sendline("echo jh-$((6 * 7))")
        child.expect("jh-42")
        child.sendline("exit")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert logins(sshd_target.info["log_file"], str(key_hop.user)) == before


def test_a_bare_channel_is_a_byte_stream(key_hop: SshHop, sshd_terminal_factory: Factory) -> None:
    terminal = sshd_terminal_factory(key_hop)
    channel = terminal.open_channel("exec cat")
    try:
        assert channel.pgid is not None
        channel.send(b"ping\n")
        channel.close_input()
        assert channel.wait_exit(Deadline(30)) == 0
        assert channel.take_output() == b"ping\n"
    finally:
        channel.close()


def test_the_private_directory_keeps_secrets_private(
    password_hop: SshHop, sshd_terminal_factory: Factory
) -> None:
    terminal = sshd_terminal_factory(password_hop).open()
    master = terminal.master
    assert master is not None and master.directory is not None
    directory = master.directory
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE((directory / "passwords").stat().st_mode) == 0o600
    assert str(password_hop.password) not in master.config_file.read_text()
    terminal.close()
    assert not directory.exists()
