"""Floats in dispatcher replies are written in HarpCaller's long exponent form (§1.10).

HarpCaller's encoder writes every float with 20 digits after the point and a
signed exponent (``1.5`` is ``1.50000000000000000000e+00``), in every reply:
results, stream packets, and the call's ``arguments`` and ``info`` echoed by
``get_status``. Integers stay integers.
"""

from __future__ import annotations

import json
import re

from .conftest import DispatcherClient, lines

LONG_FLOAT = re.compile(rb"-?[0-9]\.[0-9]{20}e[+-][0-9]{2,3}")
NUMBER = re.compile(rb"-?[0-9][0-9.eE+-]*")
STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
CALL = b'{"harpcaller": 1, "host": "local", "procedure": "%s", "arguments": %s%s}\n'


def non_integers(data: bytes) -> list[bytes]:
    """The numbers of reply bytes (outside strings) that are not integers."""
    numbers = NUMBER.findall(STRING.sub(b'""', data))
    return [number for number in numbers if not number.lstrip(b"-").isdigit()]


def submit_raw(
    dispatcher: DispatcherClient, procedure: bytes, arguments: bytes, extra: bytes = b""
) -> str:
    """Submit a call written by hand (floats in the forms the dispatcher accepts)."""
    (reply,) = lines(dispatcher.raw(CALL % (procedure, arguments, extra)))
    return str(reply["job_id"])


def test_get_status_writes_arguments_and_info_floats_in_long_form(
    dispatcher: DispatcherClient,
) -> None:
    job_id = submit_raw(
        dispatcher,
        b"ping",
        b"[1.0e-07, 1.5, -2.25, 3, 1.0e+22]",
        b', "info": {"ratio": 0.5, "count": 2, "note": "1.5"}',
    )
    raw = dispatcher.raw(json.dumps({"harpcaller": 1, "get_status": job_id}).encode() + b"\n")
    assert (
        b'"arguments": [9.99999999999999954748e-08, 1.50000000000000000000e+00, '
        b"-2.25000000000000000000e+00, 3, 1.00000000000000000000e+22]"
    ) in raw
    assert b'"info": {"count": 2, "note": "1.5", "ratio": 5.00000000000000000000e-01}' in raw
    assert b"1e-07" not in raw and b"1e+22" not in raw
    (status,) = lines(raw)
    assert status["call"]["arguments"] == [1e-07, 1.5, -2.25, 3, 1e22]
    assert status["info"] == {"ratio": 0.5, "count": 2, "note": "1.5"}


def test_results_are_written_in_long_form(dispatcher: DispatcherClient) -> None:
    job_id = submit_raw(dispatcher, b"value", b'[{"x": 1.5, "n": 7, "y": [-0.25]}]')
    raw = dispatcher.raw(
        json.dumps({"harpcaller": 1, "get_result": job_id, "wait": True}).encode() + b"\n"
    )
    assert raw == (
        b'{"result": {"n": 7, "x": 1.50000000000000000000e+00, '
        b'"y": [-2.50000000000000000000e-01]}}\n'
    )


def test_stream_packets_and_the_end_are_written_in_long_form(
    dispatcher: DispatcherClient,
) -> None:
    job_id = submit_raw(dispatcher, b"each", b"[[0.5, 2, 1.7976931348623157e+308]]")
    dispatcher.result(job_id)
    for operation in ("read_stream", "follow_stream"):
        raw = dispatcher.raw(
            json.dumps({"harpcaller": 1, operation: job_id, "since": 0}).encode() + b"\n"
        )
        assert raw == (
            b'{"data": 5.00000000000000000000e-01, "packet": 0}\n'
            b'{"data": 2, "packet": 1}\n'
            b'{"data": 1.79769313486231570815e+308, "packet": 2}\n'
            b'{"result": 1.79769313486231570815e+308}\n'
        ), operation
        assert lines(raw)[2]["data"] == 1.7976931348623157e308


def test_every_float_in_a_reply_is_long_and_integers_stay_integers(
    dispatcher: DispatcherClient,
) -> None:
    job_id = submit_raw(
        dispatcher, b"each", b"[[0.1, -0.0, 10, 2.5e-10, 123456.789]]", b', "info": [0.1, 1]'
    )
    dispatcher.result(job_id)
    replies = [
        dispatcher.raw(json.dumps({"harpcaller": 1, **request}).encode() + b"\n")
        for request in (
            {"get_status": job_id},
            {"get_result": job_id, "wait": False},
            {"read_stream": job_id},
        )
    ]
    floats = [number for raw in replies for number in non_integers(raw)]
    # arguments and info; the result; four packets and the result again
    assert len(floats) == 4 + 1 + 1 + 4 + 1
    assert all(LONG_FLOAT.fullmatch(number) for number in floats), floats
    assert b"10" in NUMBER.findall(replies[2])
