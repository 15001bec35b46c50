"""AutoRecoveringTerminal: breaks noticed from end of file and by the heartbeat, then recovered.

Only outcomes are checked (usable again, no error to the caller that asked
for recovery); how fast is the benchmark's business.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import socket
import threading
from collections.abc import Iterator

import pytest

from jobharness.backends.terminal import (
    AuthRefused,
    AutoRecoveringTerminal,
    SessionBroken,
    SessionInitializationFailed,
    SshHop,
    SshShell,
    TerminalUnreachable,
)
from jobharness.backends.terminal.heartbeat import Heartbeat
from jobharness.servers.launcher import free_port

from .helpers import eventually

KILLS = 20


def parent_of(pid: int) -> int:
    """The parent process of ``pid`` (the sshd is local)."""
    with open(f"/proc/{pid}/stat", "rb") as stat:
        return int(stat.read().rsplit(b")", 1)[1].split()[1])


def gone(pid: int) -> bool:
    """True once ``pid`` has ended (reaped or a zombie)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] in (b"Z", b"X")
    except OSError:
        return True


def kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    eventually(lambda: gone(pid))


@pytest.fixture
def recovering(key_hop: SshHop) -> Iterator[AutoRecoveringTerminal]:
    terminal = AutoRecoveringTerminal(timeout=30)
    terminal.initialize(key_hop)
    yield terminal
    terminal.close()


def shell_pid(terminal: AutoRecoveringTerminal) -> int:
    session = terminal.get_session()
    assert session is not None and session.shell_pid is not None
    return session.shell_pid


def test_the_remote_shell_killed_again_and_again(recovering: AutoRecoveringTerminal) -> None:
    assert recovering.run("echo first").stdout == "first\n"
    seen = set()
    for _ in range(KILLS):
        kill(shell_pid(recovering))
        recovering.initialize_if_needed()  # no error reaches the caller
        result = recovering.run("echo $$")
        assert result.status == 0
        seen.add(result.stdout)
    assert len(seen) == KILLS and recovering.recoveries == KILLS
    assert recovering.terminal.logins == 1  # the connection lived on: new shells only


def test_the_ssh_session_killed_again_and_again(recovering: AutoRecoveringTerminal) -> None:
    assert recovering.run("echo first").stdout == "first\n"
    for _ in range(KILLS):
        kill(parent_of(shell_pid(recovering)))  # sshd's process of the connection
        recovering.initialize_if_needed()
        assert recovering.run("echo back").stdout == "back\n"
    assert recovering.recoveries == KILLS
    assert recovering.terminal.logins == KILLS + 1


@pytest.mark.parametrize("same_connection", [True, False])
def test_a_failed_heartbeat_condemns_only_its_own_connection(
    recovering: AutoRecoveringTerminal, same_connection: bool
) -> None:
    # An open that began on a dying connection can log in again half way: the failed
    # heartbeat of the old connection must not close the new one (one login too many).
    recovering.run("true")
    terminal = recovering.terminal
    ended = Heartbeat(["true"], "ended", link=terminal.master if same_connection else object())
    eventually(lambda: not ended.alive)
    assert recovering._heartbeat is not None
    recovering._heartbeat.stop()
    recovering._heartbeat = ended
    recovering._close_parts(finalize=False)  # what a failed open does before its next try
    assert terminal.connected is not same_connection
    assert recovering.run("echo again").stdout == "again\n"
    assert terminal.logins == (2 if same_connection else 1)


def test_run_alone_recovers_too(recovering: AutoRecoveringTerminal) -> None:
    recovering.run("true")
    kill(parent_of(shell_pid(recovering)))
    assert recovering.run("echo back").stdout == "back\n"


def test_a_frozen_peer_is_noticed_by_the_heartbeat(recovering: AutoRecoveringTerminal) -> None:
    recovering.run("true")
    frozen = parent_of(shell_pid(recovering))
    os.kill(frozen, signal.SIGSTOP)
    try:
        eventually(lambda: recovering.broken_reason() is not None)
        assert "heartbeat" in str(recovering.broken_reason())
        assert recovering.run("echo thawed").stdout == "thawed\n"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(frozen, signal.SIGKILL)


def test_a_call_under_way_fails_and_the_next_recovers(recovering: AutoRecoveringTerminal) -> None:
    recovering.run("true")
    timer = threading.Timer(0.5, os.kill, (shell_pid(recovering), signal.SIGKILL))
    timer.start()
    try:
        with pytest.raises(SessionBroken):
            recovering.run("sleep 30")
    finally:
        timer.cancel()
    assert recovering.run("echo next").stdout == "next\n"


def test_callbacks_and_a_verify_of_ones_own(key_hop: SshHop) -> None:
    calls: list[str] = []
    broken = [False]

    def verify() -> None:
        calls.append("verify")
        if broken[0]:
            broken[0] = False
            raise SessionBroken("told so")

    terminal = AutoRecoveringTerminal()
    terminal.initialize(
        [key_hop],
        prepare=lambda: calls.append("prepare"),
        finalize=lambda: calls.append("finalize"),
        verify=verify,
    )
    assert calls == []  # initialize opens nothing
    terminal.initialize_if_needed()
    assert calls == ["prepare"]
    terminal.initialize_if_needed()
    broken[0] = True
    terminal.initialize_if_needed()
    assert calls == ["prepare", "verify", "verify", "prepare"]
    assert terminal.recoveries == 1
    terminal.close()
    assert calls[-1] == "finalize"


def test_without_a_pty_commands_run_on_the_connection(key_hop: SshHop) -> None:
    with AutoRecoveringTerminal(pty=False) as terminal:
        terminal.initialize(key_hop)
        result = terminal.run("echo out; echo err >&2; echo $PPID")
        assert (result.stdout.splitlines()[0], result.stderr) == ("out", "err\n")
        kill(int(result.stdout.splitlines()[1]))  # sshd's process of the connection
        # without a pty nothing on our side reads the connection: the break shows once
        # the ssh client has seen the connection end (a command sent before that fails)
        eventually(lambda: terminal.broken_reason() is not None)
        terminal.initialize_if_needed()
        assert terminal.run("echo back").stdout == "back\n"
        assert terminal.get_session() is None and terminal.recoveries == 1


def test_an_unreachable_target_fails_after_its_tries(key_hop: SshHop) -> None:
    hop = dataclasses.replace(key_hop, port=free_port())
    terminal = AutoRecoveringTerminal()
    terminal.initialize(hop, max_tries=2, sleep_between_tries=0)
    with pytest.raises(SessionInitializationFailed, match="in 2 tries") as caught:
        terminal.initialize_terminal()
    assert isinstance(caught.value.__cause__, TerminalUnreachable)


def test_a_refused_login_is_not_tried_again(password_hop: SshHop) -> None:
    wrong = SshShell(
        password_hop.host,
        password_hop.user,
        "Wrong-Password-5",
        port=password_hop.port,
        known_hosts=password_hop.known_hosts,
    )
    terminal = AutoRecoveringTerminal()
    terminal.initialize(wrong)
    with pytest.raises(AuthRefused) as caught:
        terminal.run("true")
    assert "Wrong-Password-5" not in str(caught.value)


class Forwarder:
    """A TCP port that forwards to the sshd once started (the target becoming reachable)."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = free_port()
        self.listener: socket.socket | None = None

    def start(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        assert self.listener is not None
        with contextlib.suppress(OSError):
            while True:
                client, _ = self.listener.accept()
                server = socket.create_connection(self.target)
                for a, b in ((client, server), (server, client)):
                    threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def stop(self) -> None:
        if self.listener is not None:
            self.listener.close()


def test_opens_are_tried_until_the_target_is_reachable(key_hop: SshHop) -> None:
    forwarder = Forwarder(key_hop.host, key_hop.port)
    hop = dataclasses.replace(
        key_hop,
        host="127.0.0.1",
        port=forwarder.port,
        options={"HostKeyAlias": f"[{key_hop.host}]:{key_hop.port}"},
    )
    terminal = AutoRecoveringTerminal(recovery_timeout=60)
    terminal.initialize(hop)
    threading.Timer(1.0, forwarder.start).start()
    try:
        assert terminal.run("echo reached").stdout == "reached\n"
    finally:
        terminal.close()
        forwarder.stop()
