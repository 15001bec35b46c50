"""The JSON-lines transport: the request encoder, reply decoding and connection errors."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from jobharness.deadline import Deadline
from jobharness.errors import (
    ProtocolError,
    RequestTimedOut,
    ServerUnreachable,
    ValidationError,
)
from jobharness.transport.jsonlines import (
    ConnectionLost,
    JsonLinesClient,
    RequestRejected,
    decode_line,
    encode_json,
    encode_line,
)
from utests.timing import assert_ended_by


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1e-07, "1.0e-07"),
        (1e22, "1.0e+22"),
        (-2.5e-10, "-2.5e-10"),
        (1.5, "1.5"),
        (3, "3"),
        (True, "true"),
        (None, "null"),
    ],
)
def test_numbers_keep_a_decimal_point_in_the_mantissa(value: Any, text: str) -> None:
    assert encode_json(value) == text
    assert json.loads(encode_json(value)) == value


def test_text_outside_the_bmp_is_raw_utf8_not_surrogate_escapes() -> None:
    line = encode_line({"s": "smile 😀 é", "nl": "a\nb"})
    assert "😀".encode() in line
    assert b"\\ud83d" not in line
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert json.loads(line) == {"s": "smile 😀 é", "nl": "a\nb"}


def test_slash_is_not_escaped() -> None:
    assert encode_json("a/b") == '"a/b"'


@pytest.mark.parametrize(
    ("value", "where", "words"),
    [
        ({"arguments": [1, float("nan")]}, "request.arguments[1]", "nan"),
        ({"arguments": {"x": float("inf")}}, "request.arguments.x", "inf"),
        ({"arguments": ["ok", "\ud800"]}, "request.arguments[1]", "lone surrogate"),
        ({"arguments": [{1, 2}]}, "request.arguments[0]", "set"),
        ({"info": {3: "x"}}, "request.info", "keys must be text"),
    ],
)
def test_values_json_cannot_carry_are_rejected_naming_where(
    value: Any, where: str, words: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        encode_line(value)
    assert caught.value.field == where
    assert words in str(caught.value)


def test_request_size_limit() -> None:
    assert encode_line({"a": "x" * 50}, limit=100)
    with pytest.raises(ValidationError, match="at most 100 bytes"):
        encode_line({"a": "x" * 200}, limit=100)


def test_decode_reports_bad_lines_as_protocol_errors() -> None:
    assert decode_line('{"a": "é"}'.encode(), "srv") == {"a": "é"}
    with pytest.raises(ProtocolError, match="not UTF-8 JSON"):
        decode_line(b"{nope", "srv")
    with pytest.raises(ProtocolError, match="not UTF-8 JSON"):
        decode_line(b'{"a": "\xff"}', "srv")
    with pytest.raises(ProtocolError, match="JSON list, not an object"):
        decode_line(b"[1]", "srv")


def client(port: int, **kwargs: Any) -> JsonLinesClient:
    options: dict[str, Any] = {"request_timeout": 2.0, "name": "test server", "read_slice": 0.05}
    return JsonLinesClient("127.0.0.1", port, **{**options, **kwargs})


def test_exchange_sends_one_line_and_reads_the_reply(line_server: Any) -> None:
    line_server.replies.append(b'{"ok": 1}\n{"more": 2}\n')
    assert client(line_server.port).exchange({"q": 1}) == {"ok": 1}
    assert line_server.received == [b'{"q": 1}\n']


def test_messages_until_close_skip_blank_lines(line_server: Any) -> None:
    line_server.replies.append(b'{"a": 1}\n\n{"b": 2}\n')
    with client(line_server.port).open({"q": 1}) as connection:
        assert list(connection.messages(Deadline(2))) == [{"a": 1}, {"b": 2}]


def test_close_without_reply_is_request_rejected_naming_the_request(line_server: Any) -> None:
    line_server.replies.append(b"")
    with pytest.raises(RequestRejected) as caught:
        client(line_server.port).exchange({"q": 1}, what="get_result of job 42")
    text = str(caught.value)
    assert "get_result of job 42" in text and "request rejected" in text
    assert f"tcp://127.0.0.1:{line_server.port}" in text


def test_half_a_line_before_close_is_a_lost_connection(line_server: Any) -> None:
    line_server.replies.append(b'{"a": 1')
    with pytest.raises(ConnectionLost, match="middle of a line"):
        client(line_server.port).exchange({"q": 1})


def test_garbage_reply_is_a_protocol_error(line_server: Any) -> None:
    line_server.replies.append(b"HTTP/1.1 400 Bad Request\n")
    with pytest.raises(ProtocolError, match="not UTF-8 JSON"):
        client(line_server.port).exchange({"q": 1})


def test_silence_hits_the_deadline(line_server: Any) -> None:
    line_server.replies.append(None)
    with pytest.raises(RequestTimedOut, match=r"no complete line within 0\.3 s"):
        client(line_server.port).exchange({"q": 1}, timeout=0.3)


def test_unreachable_server_names_its_address() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ServerUnreachable) as caught:
        client(port).exchange({"q": 1})
    assert f"test server at tcp://127.0.0.1:{port}" in str(caught.value)
    assert caught.value.url == f"tcp://127.0.0.1:{port}"


def test_nagle_is_off_on_client_sockets(line_server: Any) -> None:
    sock = client(line_server.port).connect()
    with sock:
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


@pytest.mark.parametrize("port", [0, 70000, "80"])
def test_bad_port_is_rejected(port: Any) -> None:
    with pytest.raises(ValidationError, match="port"):
        JsonLinesClient("127.0.0.1", port)


def _serve_once(send: Callable[[socket.socket], None]) -> int:
    """A one-connection server that reads the request line and then runs ``send``."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = listener.accept()
        with conn, contextlib.suppress(OSError):
            conn.recv(65536)
            send(conn)
        listener.close()

    threading.Thread(target=serve, daemon=True).start()
    return int(listener.getsockname()[1])


def test_a_server_dripping_bytes_is_cut_off_at_the_deadline() -> None:
    def drip(conn: socket.socket) -> None:
        for _ in range(3000):  # 30 s, longer than the deadline and its room
            conn.sendall(b"x")
            time.sleep(0.01)

    port = _serve_once(drip)
    started = time.monotonic()
    with pytest.raises(RequestTimedOut, match=r"no complete line within 0\.5 s"):
        client(port).exchange({"q": 1}, timeout=0.5)
    assert_ended_by(time.monotonic() - started, 0.5)


def test_a_long_unterminated_line_is_read_in_linear_time() -> None:
    """20 MiB without a newline: each chunk is appended, never joined again with the rest."""

    def flood(conn: socket.socket) -> None:
        conn.sendall(b"y" * (20 * 1024 * 1024))
        conn.recv(1)

    port = _serve_once(flood)
    started = time.monotonic()
    with pytest.raises(ProtocolError, match="line of more than 16777216 bytes"):
        client(port, max_line_bytes=16 * 1024 * 1024).exchange({"q": 1}, timeout=30)
    assert time.monotonic() - started < 10


def test_lines_under_the_limit_still_arrive_whole() -> None:
    big = json.dumps({"data": "z" * 3_000_000}).encode() + b"\n"
    port = _serve_once(lambda conn: conn.sendall(big))
    reply = client(port).exchange({"q": 1}, timeout=30)
    assert len(reply["data"]) == 3_000_000
