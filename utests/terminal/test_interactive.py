"""Interactive sessions: the forced prompt, writes, the read-until family, hops, secrets."""

from __future__ import annotations

import dataclasses
import signal
from collections.abc import Callable, Iterator

import pytest

from jobharness.backends.terminal import (
    AuthRefused,
    InteractiveSession,
    LocalShell,
    ReadTimedOut,
    SessionBroken,
    SshHop,
    Terminal,
    python,
    su,
)
from jobharness.targets import Target

from .helpers import logins

Factory = Callable[..., Terminal]


@pytest.fixture
def shell() -> Iterator[InteractiveSession]:
    """A local shell on a pseudo-terminal (no ssh: fast)."""
    with InteractiveSession(LocalShell(), timeout=20).open() as session:
        yield session


def test_execute_gives_output_and_status_from_the_forced_prompt(
    shell: InteractiveSession,
) -> None:
    result = shell.execute("echo out; echo err >&2; false")
    assert (result.status, result.stdout, result.stderr) == (1, "out\nerr\n", "")
    assert shell.execute("exit_code() { return 7; }; exit_code").status == 7
    shell.execute("cd /tmp")
    assert shell.execute("pwd").stdout == "/tmp\n"


def test_a_command_over_several_lines_is_one_command(shell: InteractiveSession) -> None:
    result = shell.execute("for i in 1 2 3\ndo echo $i\ndone")
    assert (result.status, result.stdout) == (0, "1\n2\n3\n")


def test_write_and_the_read_until_family(shell: InteractiveSession) -> None:
    shell.write_line("printf 'a\\nb 12 passed\\nc\\n'")
    assert shell.read_until("b 12").endswith("a\nb 12")
    match = shell.read_until_match(r"(\d+)? ?passed\n")
    assert match.group(0) == " passed\n"
    assert shell.read_until_prompt(strip_prompt=True) == "c\n"
    shell.write("echo no newline yet")
    shell.write_line()
    assert shell.read_until_regexp(r"(?m)^no newline yet$") == "no newline yet"
    shell.read_until_prompt()
    assert shell.read(0.0) == ""


def test_reading_10000_lines_ends_at_the_last(shell: InteractiveSession) -> None:
    shell.write_line("seq 1 10000; echo END-$((6 * 7))")
    text = shell.read_until("END-42", timeout=30)
    assert text.count("\n") == 10_000 and text.startswith("1\n")


def test_a_read_that_times_out_keeps_the_output(shell: InteractiveSession) -> None:
    shell.write_line("echo partial")
    with pytest.raises(ReadTimedOut, match=r"'never' did not show within 0\.3 s") as caught:
        shell.read_until("never", timeout=0.3)
    assert "partial" in caught.value.output
    assert shell.read_until("partial")
    shell.read_until_prompt()


def test_a_command_left_running_is_interrupted(shell: InteractiveSession) -> None:
    with pytest.raises(ReadTimedOut):
        shell.execute("sleep 30", timeout=0.3)
    shell.interrupt()
    shell.read_until_prompt()
    assert shell.execute("echo back").stdout == "back\n"


def test_interrupt_works_when_the_runner_ignores_sigint() -> None:
    """A runner started in the background ignores SIGINT; its sessions' shells must not."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        session = InteractiveSession(LocalShell(), timeout=20).open()
    finally:
        signal.signal(signal.SIGINT, previous)
    with session:
        with pytest.raises(ReadTimedOut):
            session.execute("sleep 30", timeout=0.3)
        session.interrupt()
        session.read_until_prompt(timeout=5)
        assert session.execute("echo back").stdout == "back\n"


def test_secrets_are_masked_in_output_and_transcript(shell: InteractiveSession) -> None:
    shell.write_line("read -r answer; echo got=$answer")
    shell.write_secret("Very-Secret-9")
    text = shell.read_until("got=")
    text += shell.read_until_prompt()
    assert "Very-Secret-9" not in text and "got=***" in text
    assert "Very-Secret-9" not in shell.transcript
    assert "got=***" in shell.transcript


def test_a_custom_prompt_for_a_repl(shell: InteractiveSession) -> None:
    shell.write_line("python3 -q")
    shell.set_prompt(r">>> $")
    shell.read_until_prompt()
    result = shell.execute("print(6 * 7)")
    assert (result.status, result.stdout) == (None, "42\n")
    shell.write_line("exit()")
    shell.set_prompt(None)
    shell.read_until_prompt()
    assert shell.execute("echo sh").stdout == "sh\n"


def test_the_end_of_the_terminal_breaks_the_session(shell: InteractiveSession) -> None:
    shell.write_line("exit")
    with pytest.raises(SessionBroken, match="end of file"):
        shell.read_until_prompt()
    assert not shell.alive
    with pytest.raises(SessionBroken):
        shell.write_line("echo")
    shell.open()
    assert shell.execute("echo again").stdout == "again\n"


def test_liveness_breaks_a_read_at_once() -> None:
    reason: list[str] = []
    session = InteractiveSession(LocalShell(), liveness=lambda: reason[0] if reason else None)
    with session.open():
        reason.append("the heartbeat stopped")
        with pytest.raises(SessionBroken, match="the heartbeat stopped"):
            session.execute("sleep 5", timeout=30)


def test_a_session_is_a_channel_of_the_connection(
    sshd_target: Target, key_hop: SshHop, sshd_terminal_factory: Factory
) -> None:
    terminal = sshd_terminal_factory(key_hop).open()
    before = logins(sshd_target.info["log_file"], str(key_hop.user))
    with InteractiveSession(terminal).open() as session:
        assert session.execute("echo $((6 * 7))").stdout == "42\n"
        assert session.execute("[[ -n $BASH_VERSION ]] && echo bash").stdout == "bash\n"
    assert terminal.logins == 1
    assert logins(sshd_target.info["log_file"], str(key_hop.user)) == before
    assert terminal.run("echo still").stdout == "still\n"


def test_prompt_hops_are_passed_and_their_passwords_never_shown(
    key_hop: SshHop, password_hop: SshHop, sshd_terminal_factory: Factory
) -> None:
    user, password = str(password_hop.user), str(password_hop.password)
    terminal = sshd_terminal_factory(key_hop, su(user, password))
    with InteractiveSession(terminal).open() as session:
        first = session.shell_pid
        assert session.execute("id -un").stdout == f"{user}\n"
        assert session.execute("echo $$").stdout == f"{first}\n"
        session.execute(f"echo {password}")
        assert password not in session.transcript
    wrong = sshd_terminal_factory(key_hop, su(user, "Wrong-Password-3"))
    with pytest.raises(AuthRefused, match="Authentication failure") as caught:
        InteractiveSession(wrong).open()
    assert "Wrong-Password-3" not in str(caught.value)


def test_a_repl_hop_keeps_its_own_prompt(key_hop: SshHop, sshd_terminal_factory: Factory) -> None:
    terminal = sshd_terminal_factory(key_hop, python("python3 -q"))
    with InteractiveSession(terminal).open() as session:
        assert session.execute("print('from the repl')").stdout == "from the repl\n"


def test_a_session_owns_a_terminal_made_from_a_route(key_hop: SshHop) -> None:
    workdir = dataclasses.replace(key_hop, workdir="/tmp")
    session = InteractiveSession([workdir]).open()
    try:
        assert session.execute("pwd").stdout == "/tmp\n"
    finally:
        session.close()
    assert not session.terminal.connected
