"""Parsing of execution answers: typed fields, helpers, and malformed answers."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from jobharness.backends.sandbox import ExecutionResult, SandboxErrCode, parse_execution
from jobharness.backends.sandbox.results import status_name
from jobharness.errors import ProtocolError
from jobharness.jobs import JobState


def answer(status: int = 0, *exit_codes: int, **extra: Any) -> dict[str, Any]:
    commands = [
        {"command": f"c{i}", "exit_code": code, "stdout": f"out{i}", "stderr": "", "time": 0.01}
        for i, code in enumerate(exit_codes or (0,))
    ]
    return {"status": status, "execution": commands, "total_time": 0.5, **extra}


def test_a_full_answer_is_typed() -> None:
    data = answer(
        0,
        0,
        0,
        result="42\n",
        environment="1b2c3d4e-0000-4000-8000-000000000000",
        expire="2026-11-23T05:31:14.699816+00:00",
    )
    result = parse_execution(data)
    assert result.ok and result.status_name == "OK"
    assert [c.stdout for c in result.execution] == ["out0", "out1"]
    assert result.command(-1).command == "c1" and len(result.execution) == 2
    with pytest.raises(IndexError):
        result.command(2)
    assert result.result == "42\n"
    assert result.expire == datetime(2026, 11, 23, 5, 31, 14, 699816, tzinfo=timezone.utc)
    assert result.raw is data
    assert "saved environment 1b2c3d4e" in result.summary()


@pytest.mark.parametrize(
    ("status", "codes", "name", "state", "failed"),
    [
        (0, (0, 1), "OK", JobState.SUCCEEDED, None),  # a '-' command's failure is ignored
        (1, (0, 1), "EXIT_1", JobState.FAILED, 1),
        (-1, (-1,), "UNKNOWN", JobState.ERROR, 0),
        (-2, (0, -2), "TIMEOUT", JobState.FAILED, 1),
        (-3, (4,), "RESULT_NOT_FOUND", JobState.FAILED, 0),  # -3 hides the exit 4
        (-3, (0,), "RESULT_NOT_FOUND", JobState.FAILED, None),
        (-4, (0,), "RESULT_NOT_UTF8", JobState.FAILED, None),
    ],
)
def test_status_helpers(
    status: int, codes: tuple[int, ...], name: str, state: JobState, failed: int | None
) -> None:
    result = parse_execution(answer(status, *codes))
    assert result.status_name == name
    assert result.job_state is state
    assert result.ok is (status == 0)
    expected = None if failed is None else result.execution[failed]
    assert result.failed_command == expected


def test_status_names_follow_the_reference_enum() -> None:
    import sandbox_api

    for code in sandbox_api.SandboxErrCode:
        assert SandboxErrCode[code.name] == code.value
        assert status_name(code.value) == code.name
    assert status_name(137) == "EXIT_137"


def test_timed_out_command() -> None:
    result = parse_execution(answer(-2, -2))
    assert result.execution[0].timed_out and not result.execution[0].ok


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ([1, 2], "the answer is a list"),
        ({"execution": [], "total_time": 0}, "status is None"),
        ({"status": "0", "execution": [], "total_time": 0}, "status is '0'"),
        ({"status": True, "execution": [], "total_time": 0}, "status is True"),
        ({"status": 0, "execution": {}, "total_time": 0}, "execution is not a list"),
        ({"status": 0, "execution": [], "total_time": "1"}, "total_time is '1'"),
        ({"status": 0, "execution": ["x"], "total_time": 1}, "execution[0] is not an object"),
        (answer() | {"execution": [{"command": "x"}]}, "execution[0].exit_code is None"),
        (answer(result=5), "result is 5"),
        (answer(expire="next tuesday"), "Invalid isoformat"),
    ],
)
def test_malformed_answer_is_a_protocol_error(data: Any, words: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_execution(data, "http://127.0.0.1:1/execute/")
    assert words in str(caught.value)
    assert "http://127.0.0.1:1/execute/" in str(caught.value)
    assert caught.value.snippet


def test_results_compare_by_value() -> None:
    assert parse_execution(answer(0, 0)) == parse_execution(answer(0, 0))
    assert isinstance(parse_execution(answer()), ExecutionResult)
