"""POST /execute/: how commands run, stop, time out and report, and the result file."""

from __future__ import annotations

import pytest

UNKNOWN_TEXT = "An unknown error occurred on the sandbox\n"


def test_response_shape_and_output_stripping(sandbox_target):
    body = sandbox_target.run({"commands": ["printf '  padded  \\n\\n'; echo ' err ' >&2"]})
    assert list(body) == ["status", "execution", "total_time"]
    entry = body["execution"][0]
    assert list(entry) == ["command", "exit_code", "stdout", "stderr", "time"]
    assert (entry["stdout"], entry["stderr"], entry["exit_code"]) == ("padded", "err", 0)
    assert isinstance(entry["time"], float) and isinstance(body["total_time"], float)


def test_first_failure_stops_the_run_and_later_commands_are_not_listed(sandbox_target):
    body = sandbox_target.run({"commands": ["echo one", "exit 4", "echo never"]})
    assert body["status"] == 4
    assert [e["command"] for e in body["execution"]] == ["echo one", "exit 4"]


def test_hyphen_ignores_a_failure_and_is_removed_from_the_echo(sandbox_target):
    body = sandbox_target.run({"commands": ["-false", {"command": "-exit 3"}, "echo after"]})
    assert body["status"] == 0
    assert [(e["command"], e["exit_code"]) for e in body["execution"]] == [
        ("false", 1),
        ("exit 3", 3),
        ("echo after", 0),
    ]


def test_only_one_hyphen_is_removed_and_a_leading_space_disables_it(sandbox_target):
    body = sandbox_target.run({"commands": ["--version-of-nothing"]})
    assert body["execution"][0]["command"] == "-version-of-nothing"
    assert body["status"] == 0  # failure ignored
    spaced = sandbox_target.run({"commands": [" -false"]})
    assert spaced["status"] == 127
    assert spaced["execution"][0]["command"] == " -false"
    assert "-false: command not found" in spaced["execution"][0]["stderr"]


def test_non_utf8_output_is_an_internal_error_even_with_a_hyphen(sandbox_target):
    body = sandbox_target.run({"commands": ["-printf '\\xff\\xfe'", "echo never"]})
    assert body["status"] == -1
    assert len(body["execution"]) == 1
    entry = body["execution"][0]
    assert (entry["exit_code"], entry["stdout"], entry["stderr"]) == (-1, "", UNKNOWN_TEXT)


def test_environ_values_are_python_str(sandbox_target):
    environ = {"I": 1, "T": True, "N": None, "D": {"x": 1}, "F": 1.5, "L": [1, "a"]}
    command = 'printf "%s|" "$I" "$T" "$N" "$D" "$F" "$L"'
    body = sandbox_target.run({"commands": [command, command], "environ": environ})
    expected = "1|True|None|{'x': 1}|1.5|[1, 'a']|"
    assert [e["stdout"] for e in body["execution"]] == [expected, expected]


def test_server_secrets_do_not_leak_into_commands(sandbox_target):
    body = sandbox_target.run({"commands": ["env"]})
    names = {line.split("=", 1)[0] for line in body["execution"][0]["stdout"].splitlines()}
    assert "PATH" in names
    assert not any(name.startswith("PYTEST") for name in names)


def test_shell_state_is_not_kept_but_files_are(sandbox_target):
    body = sandbox_target.run(
        {"commands": ["X=1; cd /; echo kept > /dev/null", "echo ${X:-unset}; pwd", "echo f > f"]}
    )
    assert body["execution"][1]["stdout"].splitlines()[0] == "unset"
    workdir = body["execution"][1]["stdout"].splitlines()[1]
    assert workdir != "/"
    again = sandbox_target.run({"commands": ["pwd", "ls"]})
    assert again["execution"][0]["stdout"] != workdir  # a fresh directory per request
    assert again["execution"][1]["stdout"] == ""


def test_commands_get_no_stdin(sandbox_target):
    body = sandbox_target.run({"commands": [{"command": "cat; echo done", "timeout": 2}]})
    assert body["execution"][0]["stdout"] == "done"


def test_result_path_returns_the_exact_text(sandbox_target):
    body = sandbox_target.run(
        {"commands": ["printf '  r\\n\\n' > out.txt"], "result_path": "out.txt"}
    )
    assert body["status"] == 0
    assert body["result"] == "  r\n\n"
    assert list(body)[-1] == "result"


def test_missing_result_overrides_the_status(sandbox_target):
    body = sandbox_target.run({"commands": ["exit 4"], "result_path": "nothing.txt"})
    assert body["status"] == -3
    assert body["execution"][-1]["exit_code"] == 4
    assert "result" not in body


def test_non_utf8_result_gives_minus_4(sandbox_target):
    body = sandbox_target.run({"commands": ["printf '\\xff' > r"], "result_path": "r"})
    assert body["status"] == -4
    assert "result" not in body


def test_result_path_outside_the_working_directory_is_not_found(sandbox_target):
    body = sandbox_target.run({"commands": ["true"], "result_path": "/etc/hostname"})
    assert body["status"] == -3
    body = sandbox_target.run({"commands": ["true"], "result_path": "../../../../etc/hostname"})
    assert body["status"] == -3


def test_result_path_naming_a_directory_is_a_500(sandbox_target):
    response = sandbox_target.execute({"commands": ["mkdir d"], "result_path": "d"})
    assert response.status_code == 500


def test_memory_limit_stops_a_greedy_command(sandbox_target):
    body = sandbox_target.run({"commands": ["python3 -c 'x = bytearray(400 * 10**6)'"]})
    assert body["status"] != 0
    assert "MemoryError" in body["execution"][0]["stderr"]
    ok = sandbox_target.run({"commands": ["python3 -c 'x = bytearray(10**6); print(len(x))'"]})
    assert ok["execution"][0]["stdout"] == "1000000"


def test_core_dumps_are_off(sandbox_target):
    body = sandbox_target.run({"commands": ["ulimit -c"]})
    assert body["execution"][0]["stdout"] == "0"


@pytest.mark.parametrize(("timeout", "shown"), [(0.3, "0.3"), (1, "1"), (True, "True")])
def test_timeout_gives_minus_2_with_python_number_formatting(sandbox_target, timeout, shown):
    body = sandbox_target.run({"commands": [{"command": "sleep 5", "timeout": timeout}]})
    assert body["status"] == -2
    entry = body["execution"][0]
    assert (entry["exit_code"], entry["stdout"]) == (-2, "")
    assert entry["stderr"] == f"Command timed out after {shown} seconds\n"
    assert entry["time"] < 3


def test_negative_timeout_times_out_at_once(sandbox_target):
    body = sandbox_target.run({"commands": [{"command": "touch ran", "timeout": -1}]})
    assert body["status"] == -2
    assert body["execution"][0]["stderr"] == "Command timed out after -1 seconds\n"
    check = sandbox_target.run({"commands": [{"command": "-touch ran", "timeout": -1}, "ls"]})
    assert check["execution"][1]["stdout"] == ""


def test_hyphen_ignores_a_timeout(sandbox_target):
    body = sandbox_target.run({"commands": [{"command": "-sleep 5", "timeout": 0.2}, "echo after"]})
    assert body["status"] == 0
    assert [e["exit_code"] for e in body["execution"]] == [-2, 0]


# -- what the real server's docker exec makes of odd commands and variables --------------------

EXEC_INVALID = "exec /usr/bin/bash: invalid argument"


def test_a_nul_byte_in_a_command_is_exit_1_not_a_500(sandbox_target):
    body = sandbox_target.run({"commands": ["echo a\u0000b", "echo never"]})
    assert body["status"] == 1
    assert [(e["command"], e["exit_code"]) for e in body["execution"]] == [("echo a\u0000b", 1)]
    assert (body["execution"][0]["stdout"], body["execution"][0]["stderr"]) == ("", EXEC_INVALID)
    ignored = sandbox_target.run({"commands": ["-echo a\u0000b", "echo after"]})
    assert ignored["status"] == 0
    assert [e["exit_code"] for e in ignored["execution"]] == [1, 0]


@pytest.mark.parametrize(
    "environ", [{"BAD": "a\u0000b"}, {"": "empty name"}, {"N\u0000UL": "x"}, {"OK": "1", "": "x"}]
)
def test_an_environ_docker_cannot_pass_gives_126(sandbox_target, environ):
    body = sandbox_target.run({"commands": ["touch ran", "echo never"], "environ": environ})
    assert body["status"] == 126
    assert [(e["command"], e["exit_code"]) for e in body["execution"]] == [("touch ran", 126)]
    assert body["execution"][0]["stderr"] == EXEC_INVALID
    hyphens = sandbox_target.run({"commands": ["-touch ran", "-ls"], "environ": environ})
    assert hyphens["status"] == 0
    assert [e["exit_code"] for e in hyphens["execution"]] == [126, 126]


def test_an_environ_name_with_an_equals_sign_runs_as_docker_passes_it(sandbox_target):
    body = sandbox_target.run(
        {"commands": ['printf "%s|%s" "$A" "$C"'], "environ": {"A=B": "c", "C": "d=e"}}
    )
    assert body["status"] == 0
    assert body["execution"][0]["stdout"] == "B=c|d=e"  # "A=B=c": the name ends at the first "="
