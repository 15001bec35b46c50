"""In-process checks of the dispatcher's decoding, request rules, queues and options."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from jobharness.errors import ConfigurationError
from jobharness.servers.harp.codec import QuirkError, decode_line, encode_line, packet_line
from jobharness.servers.harp.faults import Faults, parse_faults
from jobharness.servers.harp.hosts import parse_entry, read_hosts_file
from jobharness.servers.harp.jobs import Limits
from jobharness.servers.harp.queues import QueueRegistry
from jobharness.servers.harp.request import (
    ZERO_UUID,
    CallRequest,
    JobRequest,
    Rejected,
    normalize_job_id,
    parse_request,
)
from jobharness.servers.harpd.auth import Authenticator, parse_user
from jobharness.servers.harpd.proc import (
    Procedure,
    StreamingProcedure,
    procedure,
    streaming_procedure,
)


@pytest.mark.parametrize(
    "line", [b"[1e5]", b"[1E-7]", b"[-2e+10]", rb'["\ud83d\ude00"]', rb'["\udc00"]', b"[Infinity]"]
)
def test_quirks_rejected(line: bytes) -> None:
    with pytest.raises(QuirkError):
        decode_line(line)
    decode_line(line, quirks=False)


@pytest.mark.parametrize(
    ("line", "value"),
    [
        (b"[1.0e5]", [1.0e5]),
        (rb'["\\ud83d"]', ["\\ud83d"]),
        (rb'["\u00e9"]', ["é"]),
        (b"[10]", [10]),
    ],
)
def test_accepted_json(line: bytes, value: object) -> None:
    assert decode_line(line) == value


def test_encoding_is_raw_utf8_sorted() -> None:
    assert encode_line({"b": "é", "a": 1}) == '{"a": 1, "b": "é"}\n'.encode()
    assert packet_line(3, '{"i": 3}') == b'{"data": {"i": 3}, "packet": 3}\n'


def test_job_id_normalization() -> None:
    assert normalize_job_id("6D1A3F4E-0B6C-4D7E-9A51-2F1C3B4A5D6E") == (
        "6d1a3f4e-0b6c-4d7e-9a51-2f1c3b4a5d6e"
    )
    assert normalize_job_id("6d1a3f4e0b6c4d7e9a512f1c3b4a5d6e") == ZERO_UUID
    with pytest.raises(Rejected):
        normalize_job_id(None)


def test_call_request_fields() -> None:
    call = parse_request(
        {
            "harpcaller": 1,
            "host": "h",
            "procedure": "p",
            "arguments": {"a": 1},
            "queue": {"name": {"b": 1, "a": 2}},
            "timeout": 5,
            "max_exec_time": 7,
            "info": [1],
        }
    )
    assert isinstance(call, CallRequest)
    assert call.queue is not None and call.queue.key == '{"a": 2, "b": 1}'
    assert call.queue.concurrency == 1
    assert (call.timeout, call.max_exec_time, call.info) == (5, 7, [1])


def test_job_request_defaults() -> None:
    request = parse_request({"harpcaller": 1, "get_result": ZERO_UUID})
    assert request == JobRequest("get_result", ZERO_UUID, wait=False)


def test_limits_copy_timeout_into_both() -> None:
    limits = Limits(default_timeout=600, max_exec_time=100)
    call = CallRequest("h", "p", [], timeout=300, max_exec_time=1)
    assert limits.for_call(call) == (300, 100)
    assert limits.for_call(CallRequest("h", "p", [])) == (600, 100)


def _until(condition: Callable[[], bool]) -> None:
    end = time.monotonic() + 5
    while not condition():
        assert time.monotonic() < end
        time.sleep(0.01)


def test_queue_registry_is_fifo_and_respects_concurrency() -> None:
    registry = QueueRegistry()
    order: list[str] = []
    running: list[str] = []
    most = [0]
    release = threading.Semaphore(0)
    never = threading.Event()

    def job(name: str) -> None:
        assert registry.enter("q", 1, name, never)
        order.append(name)
        running.append(name)
        most[0] = max(most[0], len(running))
        release.acquire(timeout=5)
        running.remove(name)
        registry.leave("q")

    threads = []
    for name in ("j0", "j1", "j2"):
        threads.append(threading.Thread(target=job, args=(name,)))
        threads[-1].start()
        _until(lambda n=name: n in order or n in registry._queues["q"].waiting)  # type: ignore[misc]
    for _ in threads:
        release.release()
    for thread in threads:
        thread.join(5)
    assert order == ["j0", "j1", "j2"] and most[0] == 1
    assert registry._queues == {}


def test_queue_enter_gives_up_when_cancelled() -> None:
    registry = QueueRegistry()
    never, cancelled = threading.Event(), threading.Event()
    assert registry.enter("q", 1, "a", never)
    cancelled.set()
    assert registry.enter("q", 1, "b", cancelled) is False
    registry.leave("q")
    assert registry._queues == {}


def test_faults() -> None:
    assert parse_faults([]) == Faults()
    assert parse_faults(["missing-result-once", "cut-follow-after=3"]) == Faults(True, 3)
    with pytest.raises(ConfigurationError, match="--fault"):
        parse_faults(["cut-follow-after="])


def test_host_entries(tmp_path: Path) -> None:
    entry = {
        "hostname": "h",
        "address": "127.0.0.1",
        "port": 1,
        "credentials": {"user": "u", "password": "secret"},
    }
    assert parse_entry(entry).user == "u"
    assert "secret" not in repr(parse_entry(entry))
    with pytest.raises(ValueError, match="credentials"):
        parse_entry({**entry, "credentials": {"user": "u"}})
    with pytest.raises(ValueError, match="exactly the keys"):
        parse_entry({**entry, "extra": 1})
    hosts = tmp_path / "hosts"
    hosts.write_text('{"hostname": 1}\n\n', encoding="utf-8")
    assert read_hosts_file(hosts) == []


def test_procedure_decorators() -> None:
    def plain() -> int:
        return 1

    assert isinstance(procedure(plain), Procedure) and procedure(plain).timeout is None
    timed = procedure(timeout=3)(plain)
    assert timed.timeout == 3 and timed() == 1 and not timed.streaming
    streaming = streaming_procedure(timeout=2)(plain)
    assert isinstance(streaming, StreamingProcedure) and streaming.streaming
    with pytest.raises(ValueError, match="positive"):
        procedure(timeout=0)(plain)


def test_plain_users() -> None:
    assert parse_user("a:b:c") == ("a", "b:c")
    with pytest.raises(ConfigurationError):
        parse_user("nopassword")
    auth = Authenticator({"a": "pw"})
    assert auth.authenticate("a", "pw")
    assert not auth.authenticate("a", "PW") and not auth.authenticate("b", "pw")
