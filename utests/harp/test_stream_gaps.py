"""Packets a follow skips are read from the stored stream, in order (protocol §1.6).

HarpCaller's follower can lose a live packet without a word: the numbers
just jump. The scripted line server shows each kind of gap exactly; the
embedded dispatcher's ``skip-follow-packet`` fault makes the race certain for
whole 10,000-packet streams, through the client, the fixtures and the keywords.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from jobharness.backends.harp import HarpCaller
from jobharness.backends.harp.target import HarpTargets
from jobharness.errors import ProtocolError
from jobharness.jobs import JobState

from .conftest import LineServer

JOB_ID = "5b1d6d52-6d2e-4c4b-9d64-3c1c6e0d5a11"
RESULT = {"result": {"count": 8}}
PACKETS = 10_000
CUT_EVERY = 700
GAP_LOG = "not sent by the follow"


def reply(*messages: Any) -> bytes:
    """The bytes of a scripted reply: one JSON line per message."""
    return b"".join(json.dumps(message).encode() + b"\n" for message in messages)


def packets(*numbers: int) -> list[dict[str, Any]]:
    """Packet lines carrying ``{"i": number}``."""
    return [{"packet": n, "data": {"i": n}} for n in numbers]


def requests(server: LineServer) -> list[tuple[str, dict[str, Any]]]:
    """``(operation, since/recent fields)`` of every request the server received."""
    seen = []
    for raw in server.received:
        request = json.loads(raw)
        operation = next(key for key in request if key not in ("harpcaller", "since", "recent"))
        seen.append((operation, {k: v for k, v in request.items() if k in ("since", "recent")}))
    return seen


@pytest.fixture
def scripted(line_server: LineServer) -> HarpCaller:
    """A caller talking to the scripted line server."""
    return HarpCaller("127.0.0.1", line_server.port, request_timeout=5, wait_timeout=10)


def test_gaps_at_the_start_and_in_the_middle_are_read_from_the_stored_stream(
    line_server: LineServer, scripted: HarpCaller
) -> None:
    line_server.replies += [
        reply(*packets(2, 3, 6, 7), RESULT),  # follow since 0: 0, 1, 4 and 5 skipped
        reply(*packets(0, 1), {"continue": True}),  # a page that ends right before packet 2
        reply(*packets(4, 5, 6, 7), RESULT),
        reply(RESULT),  # nothing stored after 7
    ]
    call = scripted.job(JOB_ID)
    assert call.follow(since=0, numbered=True).all() == [(n, {"i": n}) for n in range(8)]
    assert requests(line_server) == [
        ("follow_stream", {"since": 0}),
        ("read_stream", {"since": 0}),
        ("read_stream", {"since": 4}),
        ("read_stream", {"since": 8}),
    ]
    assert call.state is JobState.SUCCEEDED and call.result() == {"count": 8}


def test_a_packet_skipped_just_before_the_end_is_read_from_the_stored_stream(
    line_server: LineServer, scripted: HarpCaller
) -> None:
    line_server.replies += [
        reply(*packets(3, 4), RESULT),  # follow since 3: 5 skipped, then the end
        reply(*packets(5), RESULT),
    ]
    call = scripted.job(JOB_ID)
    assert [n for n, _ in call.follow(since=3, numbered=True)] == [3, 4, 5]
    assert requests(line_server) == [
        ("follow_stream", {"since": 3}),
        ("read_stream", {"since": 5}),
    ]
    assert call.result() == {"count": 8}


def test_with_recent_only_gaps_after_the_first_packet_are_known(
    line_server: LineServer, scripted: HarpCaller
) -> None:
    line_server.replies += [
        reply(*packets(5, 7), RESULT),  # follow recent 3: where it starts is the server's choice
        reply(*packets(6, 7), RESULT),
        reply(RESULT),
    ]
    call = scripted.job(JOB_ID)
    assert [n for n, _ in call.follow(recent=3, numbered=True)] == [5, 6, 7]
    assert requests(line_server) == [
        ("follow_stream", {"recent": 3}),
        ("read_stream", {"since": 6}),
        ("read_stream", {"since": 8}),
    ]


def test_a_gap_in_a_stored_page_is_read_again(
    line_server: LineServer, scripted: HarpCaller
) -> None:
    line_server.replies += [
        reply(*packets(0, 2), {"continue": True}),
        reply(*packets(1, 2, 3), RESULT),
    ]
    call = scripted.job(JOB_ID)
    assert [n for n, _ in call.stream(numbered=True)] == [0, 1, 2, 3]
    assert requests(line_server) == [("read_stream", {}), ("read_stream", {"since": 1})]
    assert call.result() == {"count": 8}


def test_packets_the_dispatcher_does_not_have_stored_are_a_protocol_error(
    line_server: LineServer, scripted: HarpCaller
) -> None:
    line_server.replies += [
        reply(*packets(0, 3), RESULT),
        reply(*packets(3), RESULT),  # read_stream since 1 starts at 3 too
        reply(*packets(1, 2), {"continue": True}),  # read_stream from the start
    ]
    follow = scripted.job(JOB_ID).follow(since=0, numbered=True)
    assert next(follow) == (0, {"i": 0})
    with pytest.raises(ProtocolError, match=r"packets 1-2 are missing from the stream: "):
        next(follow)
    with pytest.raises(ProtocolError, match=r"packet 0 is missing from the stream: .* at packet 1"):
        scripted.job(JOB_ID).stream().all()


@pytest.fixture
def racy_harp(start_harp: Callable[..., HarpTargets]) -> HarpTargets:
    """A pair whose dispatcher loses a live packet on every follow connection and cuts them."""
    return start_harp("skip-follow-packet", f"cut-follow-after={CUT_EVERY}")


def test_live_follow_of_10000_packets_with_skips_and_cuts_is_complete(
    racy_harp: HarpTargets,
    caller_for: Callable[..., HarpCaller],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caller = caller_for(racy_harp, wait_timeout=120.0)
    call = caller.local.count(PACKETS)
    with caplog.at_level(logging.DEBUG, logger="jobharness.harp"):
        received = call.follow(since=0, numbered=True).all()
    assert received == [(n, {"i": n}) for n in range(PACKETS)]
    assert call.result() == {"count": PACKETS}
    filled = [r for r in caplog.records if GAP_LOG in r.getMessage()]
    assert filled  # the follow really lost packets and they were read back


def test_live_follow_without_cuts_gets_the_skipped_packet(
    start_harp: Callable[..., HarpTargets], caller_for: Callable[..., HarpCaller]
) -> None:
    caller = caller_for(start_harp("skip-follow-packet"))
    call = caller.local.count(40, 0.01)
    assert call.follow(since=0).all() == [{"i": i} for i in range(40)]
    assert call.result() == {"count": 40}


def test_harp_job_fixture_follows_10000_packets_with_skips_and_cuts(
    pytester: pytest.Pytester, racy_harp: HarpTargets
) -> None:
    assert racy_harp.dispatcher is not None
    host, port = racy_harp.dispatcher
    pytester.makepyfile(
        f"""
        import pytest

        @pytest.mark.jobharness(timeout=120)
        def test_follow(harp_job):
            call = harp_job("count", {PACKETS})
            numbers = [number for number, _ in call.follow(since=0, numbered=True)]
            assert numbers == list(range({PACKETS}))
            assert call.result() == {{"count": {PACKETS}}}
        """
    )
    result = pytester.runpytest(f"--harp-dispatcher={host}:{port}", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_follow_harp_stream_keyword_gets_10000_packets_with_skips_and_cuts(
    racy_harp: HarpTargets,
) -> None:
    from robotlib.harp import HarpLibrary

    assert racy_harp.dispatcher is not None
    library = HarpLibrary(timeout=timedelta(seconds=120))
    try:
        library.connect_to_harp_dispatcher("{}:{}".format(*racy_harp.dispatcher))
        call = library.submit_harp_call("count", PACKETS)
        items = library.follow_harp_stream(call, log=False, numbered=True)
        assert items == [[n, {"i": n}] for n in range(PACKETS)]
        library.harp_result_should_be(call, {"count": PACKETS})
    finally:
        library.close()
