"""The sandbox from pytest: ``sandbox`` is a client of the session's server (embedded unless
``--sandbox-url`` is given); ``sandbox_job`` starts executions tracked by the test."""

from pathlib import Path

EXERCISE = Path(__file__).parent / "exercise"


def test_exercise(sandbox):
    result = sandbox.execute({"commands": ["sh sum.sh"], "result_path": "total.txt"}, EXERCISE)
    assert result.ok, result.summary()
    assert result.execution[0].stdout == "total is 6"
    assert result.result == "6"


def test_in_background(sandbox_job):
    job = sandbox_job({"commands": ["sleep 1", "echo done"]})
    assert job.wait(timeout=30).ok  # a failing job's output lands in the report
