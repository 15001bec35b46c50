"""Dispatcher request decoding (§1.1, §1.10): a rejected request gets no reply at all."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import DispatcherClient, lines, read_all

CALL = {"harpcaller": 1, "host": "local", "procedure": "ping", "arguments": []}
CALL_VALUE = b'{"harpcaller": 1, "host": "local", "procedure": "value", "arguments": [%s]}\n'
UNKNOWN = "6d1a3f4e-0b6c-4d7e-9a51-2f1c3b4a5d6e"


@pytest.mark.parametrize(
    "request_object",
    [
        {},
        [CALL],
        "get_status",
        {k: v for k, v in CALL.items() if k != "harpcaller"},
        {**CALL, "harpcaller": 2},
        {**CALL, "harpcaller": True},
        {**CALL, "harpcaller": "1"},
        {k: v for k, v in CALL.items() if k != "arguments"},
        {**CALL, "unknown": 1},
        {**CALL, "arguments": "x"},
        {**CALL, "host": 1},
        {**CALL, "queue": "name"},
        {**CALL, "queue": {"name": ["a"]}},
        {**CALL, "queue": {"concurrency": 2}},
        {**CALL, "queue": {"name": {}, "concurrency": 0}},
        {**CALL, "queue": {"name": {}, "other": 1}},
        {**CALL, "concurrency": 2},
        {**CALL, "timeout": "5"},
        {**CALL, "timeout": 1.5},
        {**CALL, "max_exec_time": -1},
        {"harpcaller": 1, "get_result": UNKNOWN, "wait": "yes"},
        {"harpcaller": 1, "get_result": UNKNOWN, "since": 0},
        {"harpcaller": 1, "get_status": UNKNOWN, "wait": False},
        {"harpcaller": 1, "get_status": 7},
        {"harpcaller": 1, "cancel": UNKNOWN, "info": None},
        {"harpcaller": 1, "read_stream": UNKNOWN, "wait": True},
        {"harpcaller": 1, "follow_stream": UNKNOWN, "since": 0, "recent": 1},
        {"harpcaller": 1, "read_stream": UNKNOWN, "since": -1},
        {"harpcaller": 1, "get_result": UNKNOWN, "get_status": UNKNOWN},
    ],
)
def test_rejected_request_gets_no_reply(dispatcher: DispatcherClient, request_object: Any) -> None:
    assert dispatcher.raw(json.dumps(request_object).encode() + b"\n") == b""


@pytest.mark.parametrize(
    "payload",
    [
        b"not json\n",
        b'{"harpcaller": 1, "get_status": "x"\n',
        CALL_VALUE % b"1e-07",
        CALL_VALUE % b"1E5",
        CALL_VALUE % b'"\\ud83d\\ude00"',
        CALL_VALUE % b'"\\udc00"',
        CALL_VALUE % b"NaN",
        CALL_VALUE % b'"\xff"',
    ],
)
def test_json_the_dispatcher_cannot_decode_gets_no_reply(
    dispatcher: DispatcherClient, payload: bytes
) -> None:
    assert dispatcher.raw(payload) == b""


def test_float_with_decimal_point_and_exponent_is_accepted(dispatcher: DispatcherClient) -> None:
    reply = lines(
        dispatcher.raw(
            b'{"harpcaller": 1, "host": "local", "procedure": "value", "arguments": [1.5e+300]}\n'
        )
    )
    assert dispatcher.result(reply[0]["job_id"]) == {"result": 1.5e300}


@pytest.mark.parametrize("value", [1e-07, "emoji 😀"])
def test_harpd_result_the_dispatcher_cannot_decode_loses_the_job(
    dispatcher: DispatcherClient, value: Any
) -> None:
    # harpd writes 1e-07 and \ud83d\ude00 escapes, which HarpCaller's decoder rejects
    payload = json.dumps(
        {"harpcaller": 1, "host": "local", "procedure": "value", "arguments": [value]},
        ensure_ascii=False,
    ).replace("1e-07", "1.0e-07")
    (reply,) = lines(dispatcher.raw(payload.encode() + b"\n"))
    lost = {"error": {"type": "missing_result", "message": "job interrupted abruptly"}}
    assert dispatcher.result(reply["job_id"]) == lost
    status = dispatcher.status(reply["job_id"])
    assert status["time"]["start"] is not None and status["time"]["end"] is None


def test_raw_utf8_is_accepted_and_returned_raw(dispatcher: DispatcherClient) -> None:
    payload = json.dumps({**CALL, "info": {"note": "zażółć 😀"}}, ensure_ascii=False)
    (reply,) = lines(dispatcher.raw(payload.encode() + b"\n"))
    status = dispatcher.raw(
        json.dumps({"harpcaller": 1, "get_status": reply["job_id"]}).encode() + b"\n"
    )
    assert "zażółć 😀".encode() in status
    assert json.loads(status)["info"] == {"note": "zażółć 😀"}


def test_key_order_does_not_matter(dispatcher: DispatcherClient) -> None:
    payload = b'{"arguments": [], "procedure": "ping", "host": "local", "harpcaller": 1}\n'
    (reply,) = lines(dispatcher.raw(payload))
    assert dispatcher.result(reply["job_id"]) == {"result": "pong"}


def test_oversized_request_is_closed_without_reply(dispatcher: DispatcherClient) -> None:
    payload = json.dumps({**CALL, "info": "x" * (1 << 20)}).encode() + b"\n"
    with dispatcher.connect() as sock:
        try:
            sock.sendall(payload)
        except (BrokenPipeError, ConnectionResetError):
            return
        assert read_all(sock) == b""


@pytest.mark.parametrize("operation", ["read_stream", "follow_stream"])
@pytest.mark.parametrize("job_id", [UNKNOWN, "not-a-uuid"])
def test_stream_of_unknown_job_gets_no_reply(
    dispatcher: DispatcherClient, operation: str, job_id: str
) -> None:
    assert dispatcher.op(operation, job_id) == []


@pytest.mark.parametrize("operation", ["get_result", "get_status"])
@pytest.mark.parametrize("job_id", [UNKNOWN, "not-a-uuid", ""])
def test_unknown_or_malformed_job_id_is_invalid_jobid(
    dispatcher: DispatcherClient, operation: str, job_id: str
) -> None:
    assert dispatcher.op(operation, job_id) == [
        {"error": {"type": "invalid_jobid", "message": "no job with this ID"}}
    ]


def test_cancel_of_unknown_job_is_false(dispatcher: DispatcherClient) -> None:
    assert dispatcher.op("cancel", UNKNOWN) == [{"cancelled": False}]


def test_data_after_request_closes_a_waiting_connection(dispatcher: DispatcherClient) -> None:
    job_id = dispatcher.submit("sleep", [30])
    with dispatcher.connect() as sock:
        request = {"harpcaller": 1, "get_result": job_id, "wait": True}
        sock.sendall(json.dumps(request).encode() + b"\n")
        sock.sendall(b"more\n")
        assert read_all(sock) == b""
    dispatcher.op("cancel", job_id)


def test_request_line_sent_in_pieces_gets_its_reply(dispatcher: DispatcherClient) -> None:
    job_id = dispatcher.submit("ping")
    with dispatcher.connect() as sock:
        sock.sendall(json.dumps({"harpcaller": 1, "get_result": job_id, "wait": True}).encode())
        sock.sendall(b"\n")
        assert lines(read_all(sock)) == [{"result": "pong"}]
