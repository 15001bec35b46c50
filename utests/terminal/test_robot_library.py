"""TerminalLibrary from Python and in Robot runs: crl's keywords, cleanup, secrets in logs."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import robot
from robot.api.types import Secret
from robot.libdoc import LibraryDocumentation

from jobharness.backends.terminal import CommandTimedOut, SshHop
from jobharness.errors import ConfigurationError
from jobharness.jobs import JobState
from robotlib.terminal import RunResult, TerminalLibrary

from .helpers import eventually, group_members

CRL_KEYWORDS = {
    "Set Target": ["shelldicts", "name=default"],
    "Set Target Property": ["target_name", "property_name", "property_value"],
    "Set Default Target Property": ["property_name", "property_value"],
    "Get Target Properties": ["target=default"],
    "Execute Command In Target": [
        "command",
        "target=default",
        "timeout=None",
        "executable=None",
        "progress_log=False",
    ],
    "Execute Background Command In Target": [
        "command",
        "target=default",
        "exec_id=background",
        "executable=None",
    ],
    "Wait Background Execution": ["exec_id=background", "timeout=None"],
    "Kill Background Execution": ["exec_id=background"],
    "Execute Nohup Background In Target": ["command", "target=default", "executable=None"],
    "Copy File To Target": [
        "source_file",
        "destination_dir=.",
        "mode=0755",
        "target=default",
        "timeout=None",
    ],
    "Copy File From Target": ["source_file", "destination=None", "target=default", "timeout=None"],
    "Copy File Between Targets": [
        "from_target",
        "source_file",
        "to_target",
        "destination_dir=.",
        "mode=0755",
        "timeout=None",
    ],
    "Copy Directory To Target": [
        "source_dir",
        "target_dir=.",
        "mode=0755",
        "target=default",
        "timeout=None",
    ],
    "Create Directory In Target": ["path", "mode=0755", "target=default", "timeout=None"],
    "Close": [],
}


def hop_dict(hop: SshHop, **extra: Any) -> dict[str, Any]:
    """crl's spelling of the ssh hop (``username``), with the test sshd's key and host key."""
    return {
        "host": hop.host,
        "port": str(hop.port),
        "username": hop.user,
        "key_file": hop.key_file,
        "known_hosts": hop.known_hosts,
        **extra,
    }


@pytest.fixture
def library(key_hop: SshHop) -> Iterator[TerminalLibrary]:
    lib = TerminalLibrary(timeout="30 s")
    lib.set_target([hop_dict(key_hop)], "node")
    yield lib
    lib.close()


def test_crl_keywords_have_crl_names_and_arguments() -> None:
    doc = LibraryDocumentation("robotlib.TerminalLibrary")
    arguments = {
        kw.name: [arg.name if arg.required else f"{arg.name}={arg.default}" for arg in kw.args]
        for kw in doc.keywords
    }
    for name, expected in CRL_KEYWORDS.items():
        assert arguments[name] == expected, name


def test_execute_command_in_target_returns_crl_results(library: TerminalLibrary) -> None:
    result = library.execute_command_in_target("echo foo; echo bar >&2; [[ 1 == 1 ]]", "node")
    assert isinstance(result, RunResult) and tuple(result) == ("0", "foo", "bar")
    status, out, err = library.execute_command_in_target("exit 3", "node")
    assert (status, out, err) == ("3", "", "")
    assert library.execute_command_in_target("exit 3", "node").code == 3
    with pytest.raises(CommandTimedOut):
        library.execute_command_in_target("sleep 30", "node", timeout=_seconds(0.3))


def _seconds(value: float) -> Any:
    from datetime import timedelta

    return timedelta(seconds=value)


def test_set_target_again_keeps_the_connection(library: TerminalLibrary, key_hop: SshHop) -> None:
    library.execute_command_in_target("true", "node")
    terminal = library.targets.terminal("node")
    library.set_target([hop_dict(key_hop)], "node")
    library.set_target([hop_dict(key_hop)], "other")
    library.execute_command_in_target("true", "other")
    assert library.targets.terminal("other") is terminal and terminal.logins == 1


def test_properties(library: TerminalLibrary) -> None:
    library.set_target_property("node", "update_env_dict", {"GREETING": "hi"})
    library.set_target_property("node", "default_executable", "/bin/sh")
    result = library.execute_command_in_target("echo $GREETING; echo $0", "node")
    assert result.stdout == "hi\n/bin/sh"
    assert library.get_target_properties("node")["termination_timeout"] == 10
    with pytest.raises(ConfigurationError, match="no property 'nonsense'"):
        library.set_target_property("node", "nonsense", 1)
    library.set_default_target_property("nonsense", 1)
    with pytest.raises(ConfigurationError, match="target 'unset' is not set"):
        library.execute_command_in_target("true", "unset")


def test_background_executions(library: TerminalLibrary) -> None:
    library.execute_background_command_in_target("echo started; sleep 60", "node", "bg")
    with pytest.raises(ConfigurationError, match="in use"):
        library.execute_background_command_in_target("true", "node", "bg")
    job = library.commands.backgrounds["bg"]
    eventually(lambda: "started" in job.output())
    killed = library.kill_background_execution("bg")
    assert (killed.status, killed.stdout) == ("-15", "started")
    assert library.wait_background_execution("bg") == killed
    library.execute_background_command_in_target("echo again", "node", "bg")
    assert library.wait_background_execution("bg").stdout == "again"


def test_commands_left_running_are_killed_when_the_test_ends(library: TerminalLibrary) -> None:
    library.set_target_property("node", "termination_timeout", 1)
    library.start_test(None, None)
    job = library.start_command_in_target("sleep 300", "node")
    library.execute_background_command_in_target("sleep 300", "node", "left")
    eventually(lambda: job.pgid is not None)
    library.end_test(None, None)
    assert job.state is JobState.CANCELLED
    assert library.commands.backgrounds["left"].state is JobState.CANCELLED
    eventually(lambda: not group_members(job.pgid))  # type: ignore[arg-type]
    library.execute_background_command_in_target("echo reused", "node", "left")
    assert library.wait_background_execution("left").stdout == "reused"


def test_nohup_processes_live_until_the_library_closes(key_hop: SshHop) -> None:
    library = TerminalLibrary()
    library.set_target([hop_dict(key_hop)], "node")
    pid = library.execute_nohup_background_in_target("sleep 300", "node")
    assert (
        library.execute_command_in_target(f"kill -0 {pid} && echo alive", "node").stdout == "alive"
    )
    library.close()
    eventually(lambda: not group_members(pid))


def test_copies_follow_crls_path_rules(library: TerminalLibrary, tmp_path: Path) -> None:
    remote = f"/tmp/jh-lib-{os.getpid()}"
    (tmp_path / "tree" / "sub").mkdir(parents=True)
    (tmp_path / "tree" / "a.sh").write_text("echo a\n")
    (tmp_path / "tree" / "sub" / "b.txt").write_text("b\n")
    try:
        library.copy_file_to_target(str(tmp_path / "tree" / "a.sh"), f"{remote}/x", target="node")
        library.copy_directory_to_target(str(tmp_path / "tree"), f"{remote}/d", "0700", "node")
        library.create_directory_in_target(f"{remote}/made/deep", "0750", "node")
        library.copy_file_between_targets("node", f"{remote}/x/a.sh", "node", f"{remote}/y")
        paths = "x/a.sh d/sub d/sub/b.txt made/deep y/a.sh"
        check = library.execute_command_in_target(
            f"cd {remote} && sh x/a.sh && stat -c '%a %n' {paths}", "node"
        )
        assert check.stdout.splitlines() == [
            "a",
            "755 x/a.sh",
            "700 d/sub",
            "700 d/sub/b.txt",
            "750 made/deep",
            "755 y/a.sh",
        ]
        os.chdir(tmp_path)
        library.copy_file_from_target(f"{remote}/d/sub/b.txt", target="node")
        library.copy_file_from_target(f"{remote}/x/a.sh", "back/", "node")
        library.copy_file_from_target(f"{remote}/x/a.sh", "renamed.sh", "node")
        assert (tmp_path / "b.txt").read_text() == "b\n"
        assert (tmp_path / "back" / "a.sh").read_text() == "echo a\n"
        assert (tmp_path / "renamed.sh").read_text() == "echo a\n"
    finally:
        library.execute_command_in_target(f"rm -rf {remote}", "node")


def test_interactive_sessions_by_alias(library: TerminalLibrary) -> None:
    library.start_suite(None, None)
    library.open_interactive_session("node", alias="one")
    library.open_interactive_session("node", alias="two")
    library.write("echo from-two")
    assert library.read_until("from-two").endswith("from-two")
    library.switch_interactive_session("one")
    assert library.execute_command_in_session("echo $((6 * 7))").stdout == "42"
    assert library.execute_command_in_session("false").status == "1"
    session = library.sessions.session("one")
    library.end_suite(None, None)
    assert not session.alive


def test_secret_passwords_are_unwrapped_and_plain_ones_accepted(
    password_hop: SshHop, library: TerminalLibrary
) -> None:
    password = str(password_hop.password)
    for given in (Secret(password), password):
        library.set_target([hop_dict(password_hop, key_file=None, password=given)], "pw")
        result = library.execute_command_in_target(f"id -un; echo {password}", "pw")
        assert result.stdout == f"{password_hop.user}\n***"


SUITE = """
*** Settings ***
Library    robotlib.TerminalLibrary

*** Test Cases ***
Password As A Secret
    VAR    ${password: Secret}    %{JH_TEST_PASSWORD}
    &{hop}=    Create Dictionary    host=%{JH_TEST_HOST}    port=%{JH_TEST_PORT}
    ...    user=%{JH_TEST_USER}    password=${password}    known_hosts=%{JH_TEST_KNOWN_HOSTS}
    Set Target    ${{ [$hop] }}    name=node
    ${result}=    Execute Command In Target    echo $((6 * 7)) $(cat %{JH_TEST_FILE})    node
    Should Be Equal    ${result.stdout}    42 ***
    Open Interactive Session    node
    Write    read -r answer; echo got=$answer
    Write Secret    ${password}
    ${text}=    Read Until Prompt
    Should Contain    ${text}    got=***
    Fail    a failing test, so reports carry what they show on failure
"""


def test_passwords_stay_out_of_robot_logs(
    password_hop: SshHop, library: TerminalLibrary, tmp_path: Path
) -> None:
    password = str(password_hop.password)
    (tmp_path / "secret.robot").write_text(textwrap.dedent(SUITE))
    remote = f"/tmp/jh-secret-{os.getpid()}"
    library.targets.terminal("node").write_bytes(remote, password.encode())
    env = {
        "JH_TEST_PASSWORD": password,
        "JH_TEST_FILE": remote,
        "JH_TEST_HOST": password_hop.host,
        "JH_TEST_PORT": str(password_hop.port),
        "JH_TEST_USER": str(password_hop.user),
        "JH_TEST_KNOWN_HOSTS": str(password_hop.known_hosts),
    }
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        robot.run(
            str(tmp_path / "secret.robot"),
            outputdir=str(tmp_path),
            loglevel="TRACE",
            xunit="xunit.xml",
            stdout=open(os.devnull, "w"),  # noqa: SIM115
        )
    finally:
        library.execute_command_in_target(f"rm -f {remote}", "node")
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    output = (tmp_path / "output.xml").read_text()
    assert "42 ***" in output and "a failing test" in output
    for name in ("output.xml", "log.html", "report.html", "xunit.xml"):
        assert password not in (tmp_path / name).read_text(), name


PLAIN = """
*** Settings ***
Library    robotlib.TerminalLibrary

*** Test Cases ***
Plain Password
    &{hop}=    Create Dictionary    host=127.0.0.1    password=plain-text-password
    Set Target    ${{ [$hop] }}    name=plain
"""


def test_a_plain_password_logged_at_trace_is_warned_about(tmp_path: Path) -> None:
    (tmp_path / "plain.robot").write_text(textwrap.dedent(PLAIN))
    for level in ("TRACE", "DEBUG"):
        robot.run(
            str(tmp_path / "plain.robot"),
            outputdir=str(tmp_path / level),
            loglevel=level,
            stdout=open(os.devnull, "w"),  # noqa: SIM115
        )
    warning = "the password of hop 0 is given as plain text"
    assert warning in (tmp_path / "TRACE" / "output.xml").read_text()
    assert warning not in (tmp_path / "DEBUG" / "output.xml").read_text()


def test_an_unknown_host_key_is_refused_unless_accept_new_is_asked(
    key_hop: SshHop, tmp_path: Path
) -> None:
    from jobharness.backends.terminal.errors import HostKeyUnknown

    empty = tmp_path / "known_hosts"
    empty.touch()
    strict = TerminalLibrary(timeout="30 s")
    try:
        strict.set_target([hop_dict(key_hop, known_hosts=str(empty))], "node")
        with pytest.raises(HostKeyUnknown):
            strict.execute_command_in_target("true", target="node")
        assert empty.read_text() == ""
    finally:
        strict.close()
    learning = TerminalLibrary(timeout="30 s", host_key_policy="accept-new")
    try:
        learning.set_target([hop_dict(key_hop, known_hosts=str(empty))], "node")
        assert learning.execute_command_in_target("echo ok", target="node").stdout == "ok"
        assert empty.read_text().strip()  # the key was learnt, once
    finally:
        learning.close()
