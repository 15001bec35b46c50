"""Streams through the dispatcher: read_stream pages, follow_stream, and resuming a cut follow."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import pytest

from jobharness.backends.harp import HarpCaller, RemoteError, RemoteException
from jobharness.backends.harp.target import HarpTargets
from jobharness.errors import TransportError, ValidationError, WaitTimeout
from jobharness.jobs import JobState


def test_stream_of_a_finished_call(harp: HarpCaller) -> None:
    call = harp.local.count(5)
    call.get()
    assert call.stream().all() == [{"i": i} for i in range(5)]
    assert [n for n, _ in call.stream(since=3, numbered=True)] == [3, 4]
    assert [n for n, _ in call.stream(recent=2, numbered=True)] == [3, 4]


def test_follow_from_the_start_ends_with_the_result(harp: HarpCaller) -> None:
    call = harp.local.count(10, 0.02)
    packets = list(call.follow(since=0, numbered=True))
    assert packets == [(i, {"i": i}) for i in range(10)]
    assert call.state is JobState.SUCCEEDED
    assert call.result() == {"count": 10}


def test_follow_of_an_ended_call_defaults_to_no_old_packets(harp: HarpCaller) -> None:
    call = harp.local.count(3)
    call.get()
    fresh = harp.job(call.id)
    assert fresh.follow().all() == []
    assert fresh.state is JobState.SUCCEEDED and fresh.result() == {"count": 3}


def test_stream_while_running_then_follow_the_rest(harp: HarpCaller) -> None:
    call = harp.local.count(30, 0.03)
    head = [n for n, _ in call.stream(numbered=True)]
    assert not call.done or len(head) == 30
    rest = [n for n, _ in call.follow(since=len(head), numbered=True, timeout=20)]
    assert head + rest == list(range(30))
    assert call.result() == {"count": 30}


def test_stream_ending_in_an_exception(harp: HarpCaller) -> None:
    call = harp.local.fail_after(2)
    assert call.follow(since=0).all() == [0, 1]
    assert call.state is JobState.FAILED
    with pytest.raises(RemoteException, match="failed after 2 packets"):
        call.get()


def test_since_and_recent_together_are_refused_locally(harp: HarpCaller) -> None:
    call = harp.local.ping()
    with pytest.raises(ValidationError, match="since or recent"):
        call.follow(since=1, recent=1)
    with pytest.raises(ValidationError, match="since"):
        call.stream(since=-1)


def test_follow_is_bounded_by_its_deadline(harp: HarpCaller) -> None:
    call = harp.local.count(100, 0.2)
    with pytest.raises(WaitTimeout, match="without reaching its end"):
        list(call.follow(since=0, timeout=0.5))
    call.cancel()


def test_cut_follow_resumes_without_gap_or_duplicate(
    start_harp: Callable[..., HarpTargets],
    caller_for: Callable[..., HarpCaller],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caller = caller_for(start_harp("cut-follow-after=3"))
    call = caller.local.count(25, 0.01)
    with caplog.at_level(logging.DEBUG, logger="jobharness.harp"):
        numbers = [n for n, _ in call.follow(since=0, numbered=True)]
    assert numbers == list(range(25))
    assert call.result() == {"count": 25}
    resumes = [r for r in caplog.records if "resuming from packet" in r.getMessage()]
    assert len(resumes) >= 8  # the connection really was cut every 3 packets


def test_cut_follow_of_a_live_stream_resumes(
    start_harp: Callable[..., HarpTargets], caller_for: Callable[..., HarpCaller]
) -> None:
    caller = caller_for(start_harp("cut-follow-after=2"))
    call = caller.local.count(12, 0.05)
    data = call.follow(since=0).all()
    assert data == [{"i": i} for i in range(12)]


def test_spurious_missing_result_gives_the_real_result(
    start_harp: Callable[..., HarpTargets],
    caller_for: Callable[..., HarpCaller],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caller = caller_for(start_harp("missing-result-once"))
    with caplog.at_level(logging.DEBUG, logger="jobharness.harp"):
        assert caller.local.add(2, 40).get() == {"sum": 42, "difference": -38}
        call = caller.local.count(4)
        assert call.follow(since=0).all() == [{"i": i} for i in range(4)]
    assert call.result() == {"count": 4}
    rereads = [r for r in caplog.records if "missing_result, re-reading" in r.getMessage()]
    assert len(rereads) == 2


def test_dispatcher_restarted_mid_job(
    start_harp: Callable[..., HarpTargets], caller_for: Callable[..., HarpCaller]
) -> None:
    targets = start_harp()
    caller = caller_for(targets)
    call = caller.local.sleep(30)
    outcome: dict[str, Any] = {}

    def wait() -> None:
        try:
            outcome["value"] = call.get(timeout=20)
        except Exception as exc:
            outcome["error"] = exc

    waiter = threading.Thread(target=wait)
    waiter.start()
    assert targets.embedded
    targets.restart_dispatcher()
    waiter.join(30)
    assert not waiter.is_alive()
    error = outcome["error"]
    assert isinstance(error, TransportError)
    assert caller.url in str(error)
    # the restarted dispatcher knows the job was lost
    info = targets.dispatcher_info
    again = HarpCaller(info["host"], info["port"]).job(call.id)
    with pytest.raises(RemoteError) as lost:
        again.get(timeout=10)
    assert lost.value.type == "missing_result"
    assert "restarted" in str(lost.value)
    assert again.state is JobState.ERROR and again.end_time() is None
