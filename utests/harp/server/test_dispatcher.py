"""Dispatcher operations (§1.2-§1.8) against a real harpd."""

from __future__ import annotations

import json
import re
from pathlib import Path

from .conftest import DispatcherClient, lines, read_all

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def test_call_reply_carries_version_and_job_id(dispatcher: DispatcherClient) -> None:
    (reply,) = dispatcher.send(
        {"harpcaller": 1, "host": "local", "procedure": "ping", "arguments": []}
    )
    assert set(reply) == {"harpcaller", "job_id"} and reply["harpcaller"] == 1
    assert UUID.match(reply["job_id"])


def test_result_of_keyword_call(dispatcher: DispatcherClient) -> None:
    job_id = dispatcher.submit("add", {"a": 2, "b": 40})
    assert dispatcher.result(job_id) == {"result": {"difference": -38, "sum": 42}}
    # results are kept: any number of reads
    assert dispatcher.result(job_id, wait=False) == {"result": {"difference": -38, "sum": 42}}


def test_get_result_without_wait_defaults_to_no_wait(dispatcher: DispatcherClient) -> None:
    job_id = dispatcher.submit("sleep", [30])
    assert dispatcher.op("get_result", job_id) == [{"no_result": True}]
    assert dispatcher.result(job_id, wait=False) == {"no_result": True}
    assert dispatcher.op("cancel", job_id) == [{"cancelled": True}]


def test_exception_and_error_results(dispatcher: DispatcherClient) -> None:
    failing = dispatcher.submit("fail", ["bad"])
    missing = dispatcher.submit("nope")
    short = dispatcher.submit("add", [1])
    assert dispatcher.result(failing) == {
        "exception": {
            "type": "ValueError",
            "message": "bad",
            "data": {"class": "ValueError", "module": "builtins"},
        }
    }
    assert dispatcher.result(missing) == {
        "error": {
            "type": "no_such_procedure",
            "message": "no such procedure",
            "data": {"procedure": "nope"},
        }
    }
    assert dispatcher.result(short)["exception"]["type"] == "TypeError"


def test_harpd_side_errors_pass_through(dispatcher: DispatcherClient) -> None:
    timeout = dispatcher.submit("slow", [30])
    bad = dispatcher.submit("unserializable")
    assert dispatcher.result(timeout) == {
        "error": {"type": "timeout", "message": "maximum execution time exceeded"}
    }
    assert dispatcher.result(bad) == {
        "error": {
            "type": "invalid_message",
            "message": "Object of type object is not JSON serializable",
        }
    }


def test_status_of_finished_job(dispatcher: DispatcherClient) -> None:
    job_id = dispatcher.submit("add", {"a": 2, "b": 40}, info={"ticket": 123})
    dispatcher.result(job_id)
    status = dispatcher.status(job_id)
    assert status["call"] == {"host": "local", "procedure": "add", "arguments": {"a": 2, "b": 40}}
    assert status["info"] == {"ticket": 123}
    times = status["time"]
    assert all(isinstance(times[k], int) for k in ("submit", "start", "end"))
    assert times["submit"] <= times["start"] <= times["end"]


def test_status_of_running_job_and_default_info(dispatcher: DispatcherClient) -> None:
    job_id = dispatcher.submit("sleep", [30])
    dispatcher.wait_until(lambda: dispatcher.status(job_id)["time"]["start"] is not None, "start")
    status = dispatcher.status(job_id)
    assert status["info"] is None and status["time"]["end"] is None
    dispatcher.op("cancel", job_id)


def test_unknown_host(dispatcher: DispatcherClient) -> None:
    job_id = dispatcher.submit("ping", host="nowhere")
    assert dispatcher.result(job_id) == {
        "error": {"type": "unknown_host", "message": "host unknown"}
    }
    times = dispatcher.status(job_id)["time"]
    assert times["start"] is None and times["end"] is not None


# -- cancel ------------------------------------------------------------------------------------


def test_cancel_running_job(dispatcher: DispatcherClient) -> None:
    job_id = dispatcher.submit("sleep", [30])
    dispatcher.wait_until(lambda: dispatcher.status(job_id)["time"]["start"] is not None, "start")
    assert dispatcher.op("cancel", job_id) == [{"cancelled": True}]
    assert dispatcher.result(job_id, wait=False) == {"cancelled": True}
    assert dispatcher.result(job_id, wait=True) == {"cancelled": True}
    assert dispatcher.status(job_id)["time"]["end"] is not None
    assert dispatcher.op("cancel", job_id) == [{"cancelled": False}]


def test_cancel_finished_job_is_false(dispatcher: DispatcherClient) -> None:
    job_id = dispatcher.submit("ping")
    dispatcher.result(job_id)
    assert dispatcher.op("cancel", job_id) == [{"cancelled": False}]
    assert dispatcher.result(job_id) == {"result": "pong"}


def test_cancel_wakes_a_waiting_reader(dispatcher: DispatcherClient) -> None:
    job_id = dispatcher.submit("sleep", [30])
    with dispatcher.connect() as waiting:
        waiting.sendall(
            json.dumps({"harpcaller": 1, "get_result": job_id, "wait": True}).encode() + b"\n"
        )
        assert dispatcher.op("cancel", job_id) == [{"cancelled": True}]
        assert lines(read_all(waiting)) == [{"cancelled": True}]


def test_cancel_stops_streaming_procedure_and_keeps_packets(
    dispatcher: DispatcherClient, tmp_path: Path
) -> None:
    marker = tmp_path / "closed"
    job_id = dispatcher.submit("watched", [str(marker)])
    dispatcher.wait_until(lambda: dispatcher.packets_stored(job_id) >= 2, "two packets")
    assert dispatcher.op("cancel", job_id) == [{"cancelled": True}]
    dispatcher.wait_until(marker.exists, "the harpd procedure to stop")
    stored = dispatcher.op("read_stream", job_id)
    assert stored[-1] == {"cancelled": True}
    assert [item["packet"] for item in stored[:-1]] == list(range(len(stored) - 1))
    assert len(stored) >= 3


# -- streams -----------------------------------------------------------------------------------


def test_follow_whole_stream_live(dispatcher: DispatcherClient) -> None:
    job_id = dispatcher.submit("count", [4, 0.2])
    assert dispatcher.op("follow_stream", job_id, since=0) == [
        {"packet": 0, "data": {"i": 0}},
        {"packet": 1, "data": {"i": 1}},
        {"packet": 2, "data": {"i": 2}},
        {"packet": 3, "data": {"i": 3}},
        {"result": {"count": 4}},
    ]


def test_follow_replays_then_continues_live_without_gap(dispatcher: DispatcherClient) -> None:
    job_id = dispatcher.submit("count", [8, 0.15])
    dispatcher.wait_until(lambda: dispatcher.packets_stored(job_id) >= 3, "three packets")
    reply = dispatcher.op("follow_stream", job_id, recent=2)
    indexes = [item["packet"] for item in reply[:-1]]
    assert reply[-1] == {"result": {"count": 8}}
    assert indexes == list(range(indexes[0], 8)) and indexes[0] >= 1
    assert all(item["data"] == {"i": item["packet"]} for item in reply[:-1])


def test_follow_default_is_recent_zero(dispatcher: DispatcherClient) -> None:
    job_id = dispatcher.submit("count", [8, 0.15])
    dispatcher.wait_until(lambda: dispatcher.packets_stored(job_id) >= 3, "three packets")
    with dispatcher.connect() as sock:
        sock.sendall(json.dumps({"harpcaller": 1, "follow_stream": job_id}).encode() + b"\n")
        stored_when_asked = dispatcher.packets_stored(job_id)
        reply = lines(read_all(sock))
    assert reply[-1] == {"result": {"count": 8}}
    indexes = [item["packet"] for item in reply[:-1]]
    if indexes:  # empty only if the job ended before the request was read
        assert 3 <= indexes[0] <= stored_when_asked
        assert indexes == list(range(indexes[0], 8))


def test_follow_finished_job(dispatcher: DispatcherClient) -> None:
    job_id = dispatcher.submit("count", [4])
    dispatcher.result(job_id)
    assert dispatcher.op("follow_stream", job_id) == [{"result": {"count": 4}}]
    assert dispatcher.op("follow_stream", job_id, since=2) == [
        {"packet": 2, "data": {"i": 2}},
        {"packet": 3, "data": {"i": 3}},
        {"result": {"count": 4}},
    ]
    assert dispatcher.op("follow_stream", job_id, recent=1) == [
        {"packet": 3, "data": {"i": 3}},
        {"result": {"count": 4}},
    ]
    assert dispatcher.op("follow_stream", job_id, since=10) == [{"result": {"count": 4}}]


def test_follow_queued_job(dispatcher: DispatcherClient) -> None:
    queue = {"name": {"test": "follow-queued", "id": id(dispatcher)}, "concurrency": 1}
    blocker = dispatcher.submit("sleep", [1], queue=queue)
    job_id = dispatcher.submit("count", [2], queue=queue)
    assert dispatcher.status(job_id)["time"]["start"] is None
    assert dispatcher.op("follow_stream", job_id, since=0) == [
        {"packet": 0, "data": {"i": 0}},
        {"packet": 1, "data": {"i": 1}},
        {"result": {"count": 2}},
    ]
    assert dispatcher.result(blocker) == {"result": 1}


def test_stream_that_ends_in_exception(dispatcher: DispatcherClient) -> None:
    job_id = dispatcher.submit("fail_after", [2])
    assert dispatcher.op("follow_stream", job_id, since=0) == [
        {"packet": 0, "data": 0},
        {"packet": 1, "data": 1},
        {
            "exception": {
                "type": "RuntimeError",
                "message": "failed after 2 packets",
                "data": {"class": "RuntimeError", "module": "builtins"},
            }
        },
    ]


def test_read_stream_pages_with_continue(dispatcher: DispatcherClient) -> None:
    job_id = dispatcher.submit("count", [6, 0.2])
    dispatcher.wait_until(lambda: dispatcher.packets_stored(job_id) >= 1, "a packet")
    seen: list[int] = []
    pages = 0
    while True:
        reply = dispatcher.op("read_stream", job_id, since=len(seen))
        pages += 1
        packets, last = reply[:-1], reply[-1]
        seen += [item["packet"] for item in packets]
        if last != {"continue": True}:
            break
        known = len(seen)
        dispatcher.wait_until(
            lambda: (
                dispatcher.packets_stored(job_id) > known  # noqa: B023
                or dispatcher.result(job_id, wait=False) != {"no_result": True}
            ),
            "more",
        )
    assert last == {"result": {"count": 6}}
    assert seen == list(range(6)) and pages >= 2


def test_read_stream_default_since_zero_and_recent(dispatcher: DispatcherClient) -> None:
    job_id = dispatcher.submit("count", [3])
    dispatcher.result(job_id)
    assert [item.get("packet") for item in dispatcher.op("read_stream", job_id)] == [0, 1, 2, None]
    assert dispatcher.op("read_stream", job_id, recent=1) == [
        {"packet": 2, "data": {"i": 2}},
        {"result": {"count": 3}},
    ]


def test_stream_without_result_gives_null(dispatcher: DispatcherClient) -> None:
    job_id = dispatcher.submit("letters", ["ab"])
    assert dispatcher.result(job_id) == {"result": None}
    assert dispatcher.op("read_stream", job_id) == [
        {"packet": 0, "data": "a"},
        {"packet": 1, "data": "b"},
        {"result": None},
    ]


def test_large_result(dispatcher: DispatcherClient) -> None:
    job_id = dispatcher.submit("big", [3_000_000])
    assert dispatcher.result(job_id) == {"result": "x" * 3_000_000}
