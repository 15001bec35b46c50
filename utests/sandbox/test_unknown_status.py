"""Status -1 (UNKNOWN): explained with both of its causes, repeated only when the caller says so.

On the real server -1 means either that a pooled container was removed under
the request (the command never started) or that a command wrote output that
is not UTF-8 (the command did run). The two look alike, so a request is sent
again on -1 only when the caller opted in with ``repeat_unknown``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

from jobharness.backends.sandbox import ASandbox, Sandbox, parse_execution
from jobharness.errors import ConfigurationError
from jobharness.jobs import JobState
from jobharness.servers.base import EmbeddedServer

UNKNOWN_TEXT = "An unknown error occurred on the sandbox\n"
CONFIG = {"commands": ["echo hi"]}


def _answer(status: int) -> str:
    if status == -1:
        entry = {"command": "echo hi", "exit_code": -1, "stdout": "", "stderr": UNKNOWN_TEXT}
    else:
        entry = {"command": "echo hi", "exit_code": 0, "stdout": "hi", "stderr": ""}
    return json.dumps({"status": status, "execution": [{**entry, "time": 0.01}], "total_time": 0.1})


def test_the_summary_of_minus_1_names_both_causes() -> None:
    result = parse_execution(json.loads(_answer(-1)))
    summary = result.summary()
    assert "UNKNOWN (status -1)" in summary
    assert "container was removed" in summary and "never started" in summary
    assert "not UTF-8" in summary and "did run" in summary
    assert "repeat_unknown" in summary
    assert result.job_state is JobState.ERROR


def test_minus_1_is_not_repeated_by_default(stub: Any) -> None:
    stub.reply(stub.json(_answer(-1)), stub.json(_answer(0)))
    with Sandbox(stub.url) as client:
        result = client.execute(CONFIG)
    assert result.status == -1 and result.repeats == 0
    assert stub.paths == ["/execute/"]


def test_a_client_may_opt_in_to_repeating_minus_1(stub: Any) -> None:
    stub.reply(stub.json(_answer(-1)), stub.json(_answer(0)))
    with Sandbox(stub.url, repeat_unknown=2) as client:
        result = client.execute(CONFIG)
    assert result.ok and result.repeats == 1
    assert "after 1 repeat" in result.summary()
    assert stub.paths == ["/execute/"] * 2


def test_repeats_are_counted_and_the_last_answer_is_kept(stub: Any) -> None:
    stub.reply(stub.json(_answer(-1)))
    with Sandbox(stub.url) as client:
        result = client.execute(CONFIG, repeat_unknown=2)
        assert result.status == -1 and result.repeats == 2
        assert len(stub.paths) == 3
        job = client.start(CONFIG, repeat_unknown=1)
        assert job.wait(10).state is JobState.ERROR
    assert len(stub.paths) == 5


def test_the_async_client_repeats_the_same_way(stub: Any) -> None:
    stub.reply(stub.json(_answer(-1)), stub.json(_answer(-1)), stub.json(_answer(0)))

    async def main() -> tuple[int, int, int, int]:
        async with ASandbox(stub.url, repeat_unknown=1) as client:
            first = await client.execute(CONFIG)  # -1, then -1 again: one repeat allowed
            second = await client.execute(CONFIG, repeat_unknown=0)  # the 0
            return first.status, first.repeats, second.status, second.repeats

    assert asyncio.run(main()) == (-1, 1, 0, 0)
    assert len(stub.paths) == 3


@pytest.mark.parametrize("bad", [-1, True, 1.5, "2"])
def test_repeat_unknown_must_be_a_count(bad: Any) -> None:
    with pytest.raises(ConfigurationError, match="repeat_unknown"):
        Sandbox("http://127.0.0.1:9", repeat_unknown=bad)


@pytest.fixture(scope="module")
def flaky_pool() -> Iterator[EmbeddedServer]:
    """A server whose every second execution loses its container (status -1, nothing run)."""
    with EmbeddedServer("sandbox", ["--fault", "container-removed-every=2"]) as server:
        yield server


def test_the_embedded_server_can_lose_a_container(flaky_pool: EmbeddedServer) -> None:
    config = {"commands": ["touch ran", "echo done"], "save": True}
    with Sandbox(flaky_pool.url) as client:
        first = client.execute(config)
        lost = client.execute(config)
        third = client.execute(config)
        assert first.ok and third.ok
        assert lost.status == -1 and len(lost.execution) == 1
        entry = lost.execution[0]
        assert (entry.command, entry.exit_code, entry.stdout, entry.stderr) == (
            "touch ran",
            -1,
            "",
            UNKNOWN_TEXT,
        )
        assert lost.environment is not None
        assert client.check(lost.environment, "ran") == 0  # the command never started
        repeated = client.execute(config, repeat_unknown=1)  # the 4th loses, the 5th runs
        assert repeated.ok and repeated.repeats == 1
