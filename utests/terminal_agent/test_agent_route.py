"""Commands and copies through the agent (``Terminal(via_agent=True)``) on the embedded sshd.

One round trip per command, status and outputs apart, timeouts that kill the
process group, and copies that come back byte for byte (also across the
chunk size, made small here so several chunks are really sent).
"""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobharness.backends.terminal import (
    CommandTimedOut,
    SshHop,
    Terminal,
    TransferFailed,
    agentroute,
)
from utests.terminal_agent.conftest import wait_until


@pytest.fixture(scope="module")
def terminal(hop: SshHop) -> Iterator[Terminal]:
    """A terminal whose commands and copies go through the agent (one login, one agent)."""
    with Terminal(hop, default_timeout=30, via_agent=True, kill_grace=1) as opened:
        yield opened


@pytest.fixture
def remote_dir(terminal: Terminal) -> Iterator[str]:
    """A directory of this test's own on the target, removed afterwards."""
    path = f"/tmp/jh-agent-route-{uuid.uuid4().hex[:12]}"
    terminal.mkdir(path)
    yield path
    terminal.run(f"rm -rf {path}")


def test_a_command_is_one_request_with_status_and_outputs_apart(terminal: Terminal) -> None:
    result = terminal.run("echo out; echo err >&2; exit 3")
    assert (result.status, result.stdout, result.stderr) == (3, "out\n", "err\n")
    runner = terminal.agent_route().runner
    pid = runner.run_python("__import__('os').getpid()")
    terminal.run("true")
    assert runner.run_python("__import__('os').getpid()") == pid  # the same agent serves all


def test_input_environment_and_directory_reach_the_command(
    terminal: Terminal, remote_dir: str
) -> None:
    result = terminal.run(
        "cat; echo $JH_X; pwd", stdin=b"given\n", env={"JH_X": "y z"}, cwd=remote_dir
    )
    assert result.stdout.splitlines() == ["given", "y z", remote_dir]


def test_a_command_past_its_timeout_has_its_process_group_killed(terminal: Terminal) -> None:
    with pytest.raises(CommandTimedOut) as raised:
        terminal.run("sleep 30 & sleep 30; echo never", timeout=0.5)
    result = raised.value.result
    assert result is not None and result.timed_out and result.status == -15
    assert "never" not in result.stdout
    pgid = result.pgid
    assert terminal.run(f"kill -0 -- -{pgid} 2>/dev/null; echo $?").stdout.strip() != "0"
    quiet = terminal.run("sleep 5", timeout=0.3, raise_on_timeout=False)
    assert quiet.timed_out and quiet.status == -15


@pytest.mark.parametrize("size", [0, 1, 5 * 1024 + 7, 3 * 1024 * 1024 + 1])
def test_copies_come_back_byte_for_byte(
    terminal: Terminal,
    remote_dir: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    size: int,
) -> None:
    monkeypatch.setattr(agentroute, "CHUNK", 1 << 20)  # several chunks for the big file
    payload = os.urandom(size)
    local = tmp_path / "payload"
    local.write_bytes(payload)
    remote = f"{remote_dir}/payload"
    assert terminal.copy_to(local, remote, mode="0600") == size
    listed = terminal.run(f"stat -c '%s %a' {remote}", timeout=10).stdout.split()
    assert listed == [str(size), "600"]
    assert (
        terminal.run(f"sha256sum < {remote}").stdout.split()[0]
        == __import__("hashlib").sha256(payload).hexdigest()
    )
    back = tmp_path / "back"
    assert terminal.copy_from(remote, back) == size
    assert back.read_bytes() == payload
    assert terminal.read_bytes(remote) == payload
    terminal.write_bytes(remote, payload[::-1])
    assert terminal.read_bytes(remote) == payload[::-1]


def test_a_missing_file_is_a_transfer_error_naming_it(
    terminal: Terminal, remote_dir: str, tmp_path: Path
) -> None:
    with pytest.raises(TransferFailed, match="nothing-here"):
        terminal.copy_from(f"{remote_dir}/nothing-here", tmp_path / "x")
    with pytest.raises(TransferFailed, match="no-such-dir"):
        terminal.copy_to(__file__, f"{remote_dir}/no-such-dir/x")


def test_the_agent_comes_back_after_it_is_killed(terminal: Terminal) -> None:
    runner = terminal.agent_route().runner
    pid = runner.run_python("__import__('os').getpid()")
    link = runner._link
    os.kill(pid, signal.SIGKILL)  # the sshd runs on this machine
    wait_until(lambda: link is not None and link.broken)  # end of file, seen by the link
    assert terminal.run("echo back", timeout=30).stdout == "back\n"
    assert runner.run_python("__import__('os').getpid()") != pid


def test_a_malformed_run_reply_is_our_error() -> None:
    from jobharness.backends.terminal.errors import TerminalError

    with pytest.raises(TerminalError, match="malformed"):
        agentroute._result({"status": "x", "stdout": b"", "stderr": b""}, "true", 0.0)
    with pytest.raises(TerminalError, match="malformed"):
        agentroute._result(["not", "a", "mapping"], "true", 0.0)
