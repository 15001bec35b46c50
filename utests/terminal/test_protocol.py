"""The wrapper's protocol: header and status lines, and the wrapper under dash and bash."""

from __future__ import annotations

import shutil

import pytest

from jobharness.backends.terminal.channel import Channel
from jobharness.backends.terminal.prompts import Responder
from jobharness.backends.terminal.protocol import (
    WRAPPER,
    new_nonce,
    one_line,
    parse_header,
    parse_trailer,
    shell_prologue,
    stdout_end,
    wrapped_command,
)
from jobharness.deadline import Deadline
from jobharness.errors import ConfigurationError
from jobharness.redaction import Redactor

from .helpers import eventually, group_members

SHELLS = [shell for shell in ("/bin/dash", "/bin/bash", "/bin/sh") if shutil.which(shell)]


def test_status_lines_are_read_back() -> None:
    nonce = "jh-0123456789abcdef"
    err = f"sudo chatter\n{nonce} pgid 42\nuser err{nonce} exit 3\n{nonce} status 3\n".encode()
    assert parse_header(err, nonce) == (42, err.index(b"user"))
    trailer = parse_trailer(err, nonce)
    assert trailer is not None and trailer.status == 3
    assert err[: trailer.start].endswith(b"user err")
    killed = parse_trailer(f"{nonce} status 143\n".encode(), nonce)
    assert killed is not None and killed.status == -15
    assert parse_trailer(f"{nonce} status 1".encode(), nonce) is None  # not complete yet
    assert parse_header(b"jh-other pgid 1\n", nonce) is None
    assert stdout_end(f"out{nonce}".encode(), nonce) == 3


def test_the_wrapper_travels_as_one_line() -> None:
    line = wrapped_command("echo hi", new_nonce())
    assert "\n" not in line  # a csh-family login shell cannot take a quoted newline
    assert line.startswith("exec /bin/sh -c ")


def test_the_prologue_quotes_and_checks() -> None:
    text = shell_prologue({"A": "it's"}, "/a dir", "content: export B=1")
    assert text == "export B=1\ncd -- '/a dir' || exit 125\nexport A='it'\"'\"'s'\n"
    assert shell_prologue(init_env="/etc/profile").startswith(". /etc/profile ||")
    with pytest.raises(ConfigurationError, match="not a variable name"):
        shell_prologue({"A-B": "x"})


def _wrapped(shell: str, command: str, grace: float = 1.0) -> Channel:
    nonce = new_nonce()
    return Channel(
        [shell, "-c", one_line(WRAPPER), "jh", nonce, "0", f"{grace:g}", command],
        nonce,
        responder=Responder(()),
        redact=Redactor(),
        what="test",
    )


@pytest.mark.parametrize("shell", SHELLS)
def test_the_wrapper_reports_exits_and_signals(shell: str) -> None:
    for command, status in [
        ("exit 0", 0),
        ("echo x; exit 5", 5),
        ("kill -s KILL $(exec sh -c 'echo $PPID')", None),
    ]:
        channel = _wrapped(shell, command)
        try:
            channel.await_header(Deadline(30))
            assert channel.collect(Deadline(30))
            if status is not None:
                assert channel.trailer is not None and channel.trailer.status == status
        finally:
            channel.close()


@pytest.mark.parametrize("shell", SHELLS)
def test_the_lifeline_ending_terminates_the_group(shell: str) -> None:
    channel = _wrapped(shell, "sleep 300 & sleep 300; wait")
    try:
        pgid = channel.await_header(Deadline(30))
        channel.close_input()
        # SIGTERM reports -15; if it came before the command's subshell was ready to die
        # of it (microseconds after the start), the SIGKILL after the grace ends everything
        if channel.collect(Deadline(30)):
            assert channel.trailer is not None and channel.trailer.status == -15
        eventually(lambda: not group_members(pgid))
    finally:
        channel.close()
