"""Results and streams survive a dispatcher restart; the fault injection options."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from jobharness.backends.harp.target import HarpTargets, embedded_targets
from jobharness.errors import EmbeddedServerError
from jobharness.servers.base import EmbeddedServer

from .conftest import PROCEDURES, DispatcherClient, lines, read_all

MISSING = {"error": {"type": "missing_result", "message": "job interrupted abruptly"}}


@pytest.fixture
def own_harp() -> Iterator[HarpTargets]:
    """A harpd/dispatcher pair of this test alone (it gets restarted)."""
    with embedded_targets(PROCEDURES) as pair:
        yield pair


def test_restart_keeps_results_and_streams_and_loses_running_jobs(own_harp: HarpTargets) -> None:
    before = DispatcherClient(own_harp.dispatcher_info)
    added = before.submit("add", [2, 40], info={"ticket": 7})
    counted = before.submit("count", [3])
    assert before.result(added) == {"result": {"difference": -38, "sum": 42}}
    assert before.result(counted) == {"result": {"count": 3}}
    running = before.submit("sleep", [30])
    before.wait_until(lambda: before.status(running)["time"]["start"] is not None, "start")
    status_before = before.status(added)

    own_harp.restart_dispatcher()
    after = DispatcherClient(own_harp.dispatcher_info)

    assert after.result(added) == {"result": {"difference": -38, "sum": 42}}
    assert after.status(added) == status_before
    assert after.op("read_stream", counted) == [
        {"packet": 0, "data": {"i": 0}},
        {"packet": 1, "data": {"i": 1}},
        {"packet": 2, "data": {"i": 2}},
        {"result": {"count": 3}},
    ]
    assert after.op("follow_stream", counted, recent=1) == [
        {"packet": 2, "data": {"i": 2}},
        {"result": {"count": 3}},
    ]
    assert after.result(running, wait=False) == MISSING
    assert after.result(running, wait=True) == MISSING
    assert after.op("cancel", running) == [{"cancelled": False}]
    times = after.status(running)["time"]
    assert times["start"] is not None and times["end"] is None


def test_missing_result_once(start_dispatcher: Callable[..., DispatcherClient]) -> None:
    dispatcher = start_dispatcher("--fault", "missing-result-once")
    waited = dispatcher.submit("ping")
    assert dispatcher.result(waited, wait=True) == MISSING
    assert dispatcher.result(waited, wait=True) == {"result": "pong"}
    assert dispatcher.result(waited, wait=False) == {"result": "pong"}

    polled = dispatcher.submit("ping")
    dispatcher.wait_until(
        lambda: dispatcher.result(polled, wait=False) != {"no_result": True}, "the end"
    )
    assert dispatcher.result(polled, wait=False) == {"result": "pong"}
    assert dispatcher.result(polled, wait=True) == MISSING

    followed = dispatcher.submit("count", [2])
    assert dispatcher.op("follow_stream", followed, since=0) == [
        {"packet": 0, "data": {"i": 0}},
        {"packet": 1, "data": {"i": 1}},
        MISSING,
    ]
    assert dispatcher.op("follow_stream", followed, since=1) == [
        {"packet": 1, "data": {"i": 1}},
        {"result": {"count": 2}},
    ]
    # read_stream is not a waiting reply: never faked
    read = dispatcher.submit("count", [1])
    dispatcher.wait_until(
        lambda: dispatcher.op("read_stream", read)[-1] != {"continue": True}, "end"
    )
    assert dispatcher.op("read_stream", read)[-1] == {"result": {"count": 1}}


def test_cut_follow_after(start_dispatcher: Callable[..., DispatcherClient]) -> None:
    dispatcher = start_dispatcher("--fault", "cut-follow-after=2")
    job_id = dispatcher.submit("count", [5])
    dispatcher.result(job_id)
    assert dispatcher.op("follow_stream", job_id, since=0) == [
        {"packet": 0, "data": {"i": 0}},
        {"packet": 1, "data": {"i": 1}},
    ]
    assert dispatcher.op("follow_stream", job_id, since=2) == [
        {"packet": 2, "data": {"i": 2}},
        {"packet": 3, "data": {"i": 3}},
    ]
    assert dispatcher.op("follow_stream", job_id, since=4) == [
        {"packet": 4, "data": {"i": 4}},
        {"result": {"count": 5}},
    ]
    # read_stream is not cut
    assert len(dispatcher.op("read_stream", job_id)) == 6


def test_cut_follow_after_on_live_stream(start_dispatcher: Callable[..., DispatcherClient]) -> None:
    dispatcher = start_dispatcher("--fault", "cut-follow-after=1")
    job_id = dispatcher.submit("count", [3, 0.2])
    seen: list[int] = []
    terminal = None
    while terminal is None:
        with dispatcher.connect() as sock:
            request = {"harpcaller": 1, "follow_stream": job_id, "since": len(seen)}
            sock.sendall(json.dumps(request).encode() + b"\n")
            for item in lines(read_all(sock)):
                if "packet" in item:
                    seen.append(item["packet"])
                else:
                    terminal = item
    assert seen == [0, 1, 2]
    assert terminal == {"result": {"count": 3}}


def test_skip_follow_packet(
    start_dispatcher: Callable[..., DispatcherClient], tmp_path: Path
) -> None:
    dispatcher = start_dispatcher("--fault", "skip-follow-packet")
    job_id = dispatcher.submit("watched", [str(tmp_path / "closed"), 0.02])  # runs until cancelled
    dispatcher.wait_until(lambda: dispatcher.packets_stored(job_id) >= 2, "two packets")
    numbers: list[int] = []
    with dispatcher.connect() as sock:
        request = {"harpcaller": 1, "follow_stream": job_id, "since": 0}
        sock.sendall(json.dumps(request).encode() + b"\n")
        with sock.makefile("rb") as replies:
            while len(numbers) < 10:
                numbers.append(json.loads(replies.readline())["packet"])
            assert dispatcher.op("cancel", job_id) == [{"cancelled": True}]
            rest = lines(replies.read())
    assert rest[-1] == {"cancelled": True}
    numbers += [item["packet"] for item in rest[:-1]]
    # one packet, the first stored after the follow read the stored ones, is never sent
    missing = sorted(set(range(numbers[-1])) - set(numbers))
    assert len(missing) == 1 and missing[0] >= 2, numbers
    assert numbers == sorted(numbers)
    # it is stored, and read_stream or a replay of the ended job sends it
    stored = [item["packet"] for item in dispatcher.op("read_stream", job_id) if "packet" in item]
    assert stored == list(range(len(stored))) and missing[0] in stored
    replay = dispatcher.op("follow_stream", job_id, since=0)
    assert [item["packet"] for item in replay if "packet" in item] == stored


@pytest.mark.parametrize(
    "fault", ["cut-follow-after=0", "cut-follow-after=x", "skip-follow-packet=2", "slow"]
)
def test_unknown_fault_is_refused(start_server: Callable[..., EmbeddedServer], fault: str) -> None:
    with pytest.raises(EmbeddedServerError, match="--fault"):
        start_server("harp", "--fault", fault)
