"""Queues and limits of the dispatcher (§1.2)."""

from __future__ import annotations

from collections.abc import Callable

from .conftest import DispatcherClient


def _queue(test: str, concurrency: int | None = None) -> dict[str, object]:
    queue: dict[str, object] = {"name": {"test": test, "worker": id(_queue)}}
    if concurrency is not None:
        queue["concurrency"] = concurrency
    return queue


def _started(dispatcher: DispatcherClient, job_id: str) -> bool:
    return dispatcher.status(job_id)["time"]["start"] is not None


def test_concurrency_one_runs_jobs_back_to_back(dispatcher: DispatcherClient) -> None:
    queue = _queue("back-to-back")
    first = dispatcher.submit("count", [3, 0.2], queue=queue)
    second = dispatcher.submit("count", [3], queue=queue)
    dispatcher.wait_until(lambda: _started(dispatcher, first), "first start")
    assert dispatcher.status(second)["time"]["start"] is None
    assert dispatcher.result(second, wait=False) == {"no_result": True}
    assert dispatcher.result(second) == {"result": {"count": 3}}
    first_status, second_status = dispatcher.status(first), dispatcher.status(second)
    assert dispatcher.result(first, wait=False) == {"result": {"count": 3}}
    assert second_status["time"]["start"] >= first_status["time"]["end"]


def test_queue_name_compared_key_sorted(dispatcher: DispatcherClient) -> None:
    name = {"a": 1, "b": "x", "worker": id(dispatcher)}
    first = dispatcher.submit("sleep", [30], queue={"name": name})
    second = dispatcher.submit("ping", queue={"name": dict(reversed(list(name.items())))})
    dispatcher.wait_until(lambda: _started(dispatcher, first), "first start")
    assert dispatcher.result(second, wait=False) == {"no_result": True}
    assert dispatcher.op("cancel", first) == [{"cancelled": True}]
    assert dispatcher.result(second) == {"result": "pong"}


def test_concurrency_two_with_three_jobs(dispatcher: DispatcherClient) -> None:
    queue = _queue("three", 2)
    jobs = [dispatcher.submit("sleep", [30], queue=queue) for _ in range(3)]
    dispatcher.wait_until(lambda: all(_started(dispatcher, j) for j in jobs[:2]), "two starts")
    assert not _started(dispatcher, jobs[2])
    assert dispatcher.op("cancel", jobs[0]) == [{"cancelled": True}]
    dispatcher.wait_until(lambda: _started(dispatcher, jobs[2]), "third start")
    for job_id in jobs[1:]:
        assert dispatcher.op("cancel", job_id) == [{"cancelled": True}]


def test_cancel_queued_job_never_starts(dispatcher: DispatcherClient) -> None:
    queue = _queue("cancel-queued")
    blocker = dispatcher.submit("sleep", [30], queue=queue)
    queued = dispatcher.submit("ping", queue=queue)
    assert dispatcher.op("cancel", queued) == [{"cancelled": True}]
    assert dispatcher.result(queued) == {"cancelled": True}
    times = dispatcher.status(queued)["time"]
    assert times["start"] is None and times["end"] is not None
    assert dispatcher.op("cancel", blocker) == [{"cancelled": True}]
    # the queue is usable again afterwards
    assert dispatcher.result(dispatcher.submit("ping", queue=queue)) == {"result": "pong"}


def test_concurrency_of_existing_queue_is_kept(dispatcher: DispatcherClient) -> None:
    name = _queue("kept")["name"]
    first = dispatcher.submit("sleep", [30], queue={"name": name, "concurrency": 1})
    second = dispatcher.submit("ping", queue={"name": name, "concurrency": 5})
    dispatcher.wait_until(lambda: _started(dispatcher, first), "first start")
    assert dispatcher.result(second, wait=False) == {"no_result": True}
    dispatcher.op("cancel", first)
    assert dispatcher.result(second) == {"result": "pong"}


def test_empty_queue_name_is_a_queue(dispatcher: DispatcherClient) -> None:
    assert dispatcher.result(dispatcher.submit("ping", queue={"name": {}})) == {"result": "pong"}


def test_request_timeout_limits_total_time(dispatcher: DispatcherClient) -> None:
    job_id = dispatcher.submit("count", [100, 0.4], timeout=1)
    reply = dispatcher.op("follow_stream", job_id, since=0)
    assert reply[-1] == {"error": {"type": "timeout", "message": "maximum execution time exceeded"}}
    assert [item["packet"] for item in reply[:-1]] == list(range(len(reply) - 1))


def test_max_exec_time_from_request_is_ignored(dispatcher: DispatcherClient) -> None:
    job_id = dispatcher.submit("sleep", [1.5], max_exec_time=1)
    assert dispatcher.result(job_id) == {"result": 1.5}


def test_default_timeout_is_the_inter_packet_limit(
    start_dispatcher: Callable[..., DispatcherClient],
) -> None:
    dispatcher = start_dispatcher("--default-timeout", "0.5")
    job_id = dispatcher.submit("count", [3, 2.0])
    assert dispatcher.op("follow_stream", job_id, since=0) == [
        {"packet": 0, "data": {"i": 0}},
        {"error": {"type": "timeout", "message": "reading result timed out"}},
    ]


def test_max_exec_time_option_limits_total_time(
    start_dispatcher: Callable[..., DispatcherClient],
) -> None:
    dispatcher = start_dispatcher("--max-exec-time", "0.5")
    assert dispatcher.result(dispatcher.submit("sleep", [30])) == {
        "error": {"type": "timeout", "message": "maximum execution time exceeded"}
    }
