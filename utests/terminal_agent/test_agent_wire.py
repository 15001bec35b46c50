"""The data codec both ways, and what the controller refuses: it only ever builds data."""

from __future__ import annotations

import json
import math
from collections import OrderedDict, namedtuple
from typing import Any

import pytest

from jobharness.backends.terminal import agent, wire
from jobharness.backends.terminal.runner_errors import UnableToDeserialize
from jobharness.errors import ConfigurationError, ProtocolError

VALUES: list[Any] = [
    None,
    True,
    0,
    -(2**70),
    2**9000,
    1.5,
    "text é \udcff",
    b"\x00\xff" * 10,
    b"",
    [1, [2, [3]]],
    (1, (2,), ()),
    {"a": 1, "b": [None]},
    {1: "int key", (1, 2): "tuple key", "$x": "dollar key", None: 0},
    {1, 2},
    frozenset({"a"}),
    [{"$b": "not a tag"}],
]


def agent_codec() -> agent.Codec:
    return agent.Codec(agent.Table(), {})


def to_agent(value: Any) -> Any:
    """What the agent decodes from what the controller encodes."""
    return agent_codec().unpack(b"".join(wire.Encoder().pack(value)))


def to_controller(value: Any, mode: str = "value") -> Any:
    """What the controller decodes from what the agent encodes."""
    return wire.unpack(b"".join(agent_codec().pack(value, mode)), lambda ref: ("ref", ref["type"]))


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_data_goes_both_ways_unchanged(value: Any) -> None:
    assert to_agent(value) == value and type(to_agent(value)) is type(value)
    assert to_controller(value) == value and type(to_controller(value)) is type(value)


def test_floats_json_cannot_carry() -> None:
    assert math.isnan(to_controller(math.nan))
    assert to_controller([math.inf, -math.inf]) == [math.inf, -math.inf]
    assert math.isnan(to_agent(math.nan))


def test_bytes_travel_raw_not_as_base64() -> None:
    parts = wire.Encoder().pack({"data": b"\x01" * 1000})
    assert b"\x01" * 1000 in b"".join(parts)
    assert len(b"".join(parts)) < 1100


def test_subclasses_of_data_come_as_their_plain_value() -> None:
    point = namedtuple("point", "x y")(1, 2)
    assert to_controller(point) == (1, 2)
    assert to_controller(OrderedDict(a=1)) == {"a": 1}
    assert to_controller(bytearray(b"ab")) == b"ab"


def test_what_is_not_data_comes_back_as_a_reference() -> None:
    assert to_controller(object()) == ("ref", "builtins.object")
    assert to_controller([len]) == [("ref", "builtins.builtin_function_or_method")]


def test_auto_and_ref_modes() -> None:
    assert to_controller(5, "auto") == 5
    assert to_controller([5], "auto") == ("ref", "builtins.list")
    assert to_controller(5, "ref") == ("ref", "builtins.int")
    assert to_controller([1], "basic") == [False, None]
    assert to_controller(3, "basic") == [True, 3]


def test_a_cycle_becomes_a_reference_instead_of_a_recursion() -> None:
    loop: list[Any] = [1]
    loop.append(loop)
    assert to_controller(loop) == [1, ("ref", "builtins.list")]


def test_the_spec_comes_with_the_first_reference_of_a_type_only() -> None:
    codec = agent_codec()
    first = codec.reference(object())
    second = codec.reference(object())
    assert "specdef" in first and "specdef" not in second
    assert first["spec"] == second["spec"]
    assert "__init__" in first["specdef"]["callables"]


def test_local_objects_cannot_be_sent() -> None:
    with pytest.raises(ConfigurationError, match="only data"):
        wire.Encoder().pack(object())


def payload(text: str, raw: bytes = b"") -> bytes:
    data = text.encode()
    return wire.JSON_LEN.pack(len(data)) + data + raw


@pytest.mark.parametrize(
    "text",
    [
        '{"$unknown": 1}',
        '{"$b": [0, 5]}',
        '{"$b": "x"}',
        '{"$f": "1e400"}',
        '{"$ref": "1"}',
        '{"$t": 5}',
        '{"$map": [[[1], 2]]}',
        '{"$set": [[1]]}',
        '{"a": 1, "$b": [0, 0]}',
        "[1, 2",
        '{"__reduce__": 1, "$ref": 1.5}',
    ],
)
def test_the_controller_refuses_what_is_not_data(text: str) -> None:
    with pytest.raises(UnableToDeserialize):
        wire.unpack(payload(text), lambda ref: pytest.fail("no reference may be made"))


def test_the_controller_refuses_truncated_payloads() -> None:
    with pytest.raises(UnableToDeserialize):
        wire.unpack(b"\x00\x00", lambda ref: None)
    with pytest.raises(UnableToDeserialize):
        wire.unpack(wire.JSON_LEN.pack(100) + b"{}", lambda ref: None)
    with pytest.raises(UnableToDeserialize):
        wire.unpack(wire.JSON_LEN.pack(2) + b"\xff\xfe", lambda ref: None)


def test_a_pickle_in_a_payload_is_only_bytes() -> None:
    evil = b"cos\nsystem\n(S'echo pwned'\ntR."
    assert wire.unpack(payload(f'{{"$b": [0, {len(evil)}]}}', evil), lambda r: None) == evil


def test_frames_are_cut_and_garbage_is_refused() -> None:
    reader = wire.FrameReader("test")
    data = wire.frame(agent.RESULT, 7, [b"abc"]) + wire.frame(agent.PONG, 8)
    assert [(f.kind, f.rid, f.payload) for f in reader.feed(data[:5])] == []
    found = reader.feed(data[5:])
    assert [(f.kind, f.rid, f.payload) for f in found] == [
        (agent.RESULT, 7, b"abc"),
        (agent.PONG, 8, b""),
    ]
    for garbage in (
        b"Traceback (most recent call last):\n",
        wire.frame(agent.RESULT, 1)[:1] + b"\x63" + b"\0" * 8,
    ):
        with pytest.raises(ProtocolError):
            wire.FrameReader("test").feed(garbage)
    oversized = agent.HEADER.pack(agent.MAGIC, agent.RESULT, 1, agent.MAX_PAYLOAD + 1)
    with pytest.raises(ProtocolError):
        wire.FrameReader("test").feed(oversized)


@pytest.mark.parametrize("cut", [1, 7, 4096, 65536, 70000])
def test_large_frames_come_whole_in_any_chunks(cut: int) -> None:
    big = bytes(range(256)) * 1024  # 256 KiB
    stream = (
        wire.frame(agent.PONG, 1)
        + wire.frame(agent.RESULT, 2, [big])
        + wire.frame(agent.RESULT, 3, [b"after"])
    )
    reader = wire.FrameReader("test")
    found = []
    for start in range(0, len(stream), cut):
        found += reader.feed(stream[start : start + cut])
    assert [(f.kind, f.rid, len(f.payload)) for f in found] == [
        (agent.PONG, 1, 0),
        (agent.RESULT, 2, len(big)),
        (agent.RESULT, 3, 5),
    ]
    assert found[1].payload == big and found[2].payload == b"after"


def test_error_payloads() -> None:
    info = wire.unpack_error(
        b"".join(
            agent_codec().pack(
                {
                    "type": "KeyError",
                    "module": "builtins",
                    "builtin": "KeyError",
                    "message": "'x'",
                    "traceback": "tb",
                },
                "value",
            )
        )
    )
    assert info.qualified == "KeyError" and info.traceback == "tb"
    with pytest.raises(UnableToDeserialize):
        wire.unpack_error(payload(json.dumps({"type": 5})))


def test_released_ids_are_found_in_a_reply_nobody_reads() -> None:
    codec = agent_codec()
    reply = b"".join(codec.pack([object(), {"k": object()}], "value"))
    assert sorted(wire.ref_ids(reply)) == [1, 2]
