"""Commands in one round trip, on a local terminal and through the sshd: status, output, kills."""

from __future__ import annotations

import uuid

import pytest

from jobharness.backends.terminal import CommandFailed, CommandTimedOut, Terminal

from .helpers import eventually, group_members


def test_status_stdout_and_stderr_come_apart(anywhere: Terminal) -> None:
    result = anywhere.run("echo out; echo err >&2; printf 'no newline'; exit 3")
    assert result.status == 3
    assert result.stdout == "out\nno newline"
    assert result.stderr == "err\n"
    status, stdout, stderr = result
    assert (status, stdout, stderr) == (3, "out\nno newline", "err\n")
    assert not result.ok


def test_a_failing_command_is_a_result_until_checked(anywhere: Terminal) -> None:
    result = anywhere.run("ls /no/such/directory")
    assert result.status not in (0, None)
    assert "/no/such/directory" in result.stderr
    with pytest.raises(CommandFailed, match="ended with status") as caught:
        result.check()
    assert caught.value.result is result
    assert anywhere.run("true").check().ok


def test_binary_output_and_input_stay_bytes(anywhere: Terminal) -> None:
    data = bytes(range(256)) * 64
    result = anywhere.run("cat", stdin=data)
    assert result.stdout_bytes == data
    assert anywhere.run("cat", stdin="text in").stdout == "text in"


def test_env_and_cwd_are_given_to_the_command(anywhere: Terminal) -> None:
    result = anywhere.run(
        'printf "%s|%s" "$GREETING" "$(pwd)"', env={"GREETING": "it's $HOME"}, cwd="/tmp"
    )
    assert result.stdout == "it's $HOME|/tmp"


def test_a_signal_death_reads_as_a_negative_status(anywhere: Terminal) -> None:
    assert anywhere.run("sh -c 'kill -s TERM $$'").status == 143  # the shell's own status
    assert anywhere.run("exec sleep 30 & kill -s KILL $!; wait $!").status == 137
    assert anywhere.run("kill -s TERM $(sh -c 'echo $PPID')").status is not None


def test_stdout_lines_stream_while_the_command_runs(anywhere: Terminal) -> None:
    flag = f"/tmp/jh-flag-{uuid.uuid4().hex}"
    lines: list[str] = []

    def seen(line: str) -> None:
        lines.append(line)
        if line == "first":  # the command only goes on once this line was streamed
            anywhere.run(f"touch {flag}").check()

    try:
        result = anywhere.run(
            f"echo first; while [ ! -e {flag} ]; do sleep 0.02; done; echo second; printf last",
            timeout=30,
            stream=seen,
        )
    finally:
        anywhere.run(f"rm -f {flag}")
    assert result.status == 0
    assert lines == ["first", "second", "last"]


def test_a_timeout_kills_the_whole_process_group(anywhere: Terminal) -> None:
    result = anywhere.run(
        "sleep 300 & sleep 300 & echo started; wait", timeout=3, raise_on_timeout=False
    )
    assert result.timed_out
    assert result.stdout == "started\n"
    assert result.status == -15
    assert result.pgid is not None
    eventually(lambda: not group_members(result.pgid))  # type: ignore[arg-type]


def test_a_timeout_raises_with_the_result(anywhere: Terminal) -> None:
    with pytest.raises(CommandTimedOut, match=r"did not end within 3 s") as caught:
        anywhere.run("echo partial; sleep 300", timeout=3)
    result = caught.value.result
    assert result is not None and result.timed_out
    assert result.stdout == "partial\n"
    eventually(lambda: not group_members(result.pgid))  # type: ignore[arg-type]


def test_a_command_ignoring_sigterm_is_killed_after_the_grace(anywhere: Terminal) -> None:
    result = anywhere.run("trap '' TERM; sleep 300 & wait; wait", timeout=2, raise_on_timeout=False)
    assert result.timed_out
    assert result.pgid is not None
    eventually(lambda: not group_members(result.pgid))  # type: ignore[arg-type]


def test_a_background_child_holding_stdout_does_not_hold_the_command(anywhere: Terminal) -> None:
    result = anywhere.run("sleep 2 & echo done", timeout=30)
    assert (result.status, result.stdout) == (0, "done\n")


def test_signal_reaches_a_process_group(anywhere: Terminal) -> None:
    job = anywhere.start("sleep 300")
    try:
        assert job.pgid is not None
        assert anywhere.signal(job.pgid, "SIGTERM")
        job.wait(30)
        assert job.status == -15
        eventually(lambda: not group_members(job.pgid, zombies=True))  # type: ignore[arg-type]
        assert not anywhere.signal(job.pgid, 15)  # gone
    finally:
        job.cancel()
