"""Models and helpers that need no server: parsing, tolerance, malformed answers, URLs, filters."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from jobharness.backends.saltant import (
    ExecutableTaskInstance,
    TaskQueue,
    api_root,
    encode_filters,
    map_state,
)
from jobharness.errors import ConfigurationError, ProtocolError
from jobharness.jobs import JobState

INSTANCE: dict[str, Any] = {
    "uuid": "ebe81cfa-fee1-4fdb-a9f8-244d38daa5d1",
    "user": "alice",
    "name": "fail",
    "state": "created",
    "datetime_created": "2026-11-22T05:35:39.144407Z",
    "datetime_finished": None,
    "arguments": {"seconds": 0.5, "exit_code": 3},
    "task_queue": 1,
    "task_type": 2,
}


@pytest.mark.parametrize(
    "given",
    [
        "http://127.0.0.1:8000",
        "http://127.0.0.1:8000/",
        "http://127.0.0.1:8000/api",
        "http://127.0.0.1:8000/api/",
        " http://127.0.0.1:8000/api// ",
    ],
)
def test_api_root_accepts_the_url_with_or_without_api_and_slash(given: str) -> None:
    assert api_root(given) == "http://127.0.0.1:8000/api/"


def test_api_root_keeps_a_prefix() -> None:
    assert api_root("https://h/saltant") == "https://h/saltant/api/"


@pytest.mark.parametrize("bad", ["", "127.0.0.1:8000/api/", "ftp://h/api/", "http:///api/"])
def test_api_root_rejects_relative_or_odd_urls(bad: str) -> None:
    with pytest.raises(ConfigurationError, match="must be absolute"):
        api_root(bad)


def test_instance_is_parsed_with_datetimes() -> None:
    instance = ExecutableTaskInstance.from_json(dict(INSTANCE))
    assert instance.datetime_created == dt.datetime(
        2026, 11, 22, 5, 35, 39, 144407, tzinfo=dt.timezone.utc
    )
    assert instance.datetime_finished is None
    assert instance.arguments == {"seconds": 0.5, "exit_code": 3}
    assert not instance.finished


def test_extra_fields_are_kept_not_fatal() -> None:
    instance = ExecutableTaskInstance.from_json({**INSTANCE, "priority": 5, "logs_url": "x"})
    assert instance.extra == {"priority": 5, "logs_url": "x"}
    assert instance.to_json()["priority"] == 5


def test_to_json_round_trips() -> None:
    instance = ExecutableTaskInstance.from_json(dict(INSTANCE))
    assert ExecutableTaskInstance.from_json(instance.to_json()) == instance


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"uuid": None}, "field 'uuid' of the ExecutableTaskInstance should be str"),
        ({"task_queue": "1"}, "field 'task_queue' .* should be int"),
        ({"task_queue": True}, "field 'task_queue' .* should be int"),
        ({"arguments": [1, 2]}, "field 'arguments' .* should be dict"),
        ({"datetime_created": "yesterday"}, "'datetime_created' is not an ISO 8601"),
        ({"datetime_finished": 12}, "'datetime_finished' is not an ISO 8601"),
    ],
)
def test_malformed_fields_are_protocol_errors(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        ExecutableTaskInstance.from_json({**INSTANCE, **change}, source="GET http://h/api/x/")


def test_a_missing_field_is_named() -> None:
    data = dict(INSTANCE)
    del data["state"]
    with pytest.raises(
        ProtocolError, match="GET http://h/x/: the ExecutableTaskInstance has no field 'state'"
    ):
        ExecutableTaskInstance.from_json(data, source="GET http://h/x/")


@pytest.mark.parametrize("data", [None, [], "text", 3])
def test_a_non_object_is_a_protocol_error(data: Any) -> None:
    with pytest.raises(ProtocolError, match="expected a JSON object for a TaskQueue"):
        TaskQueue.from_json(data)


def test_an_unbound_model_cannot_sync() -> None:
    with pytest.raises(ProtocolError, match="not bound to a client"):
        ExecutableTaskInstance.from_json(dict(INSTANCE)).sync()


@pytest.mark.parametrize(
    ("native", "state"),
    [
        ("created", JobState.PENDING),
        ("published", JobState.PENDING),
        ("running", JobState.RUNNING),
        ("successful", JobState.SUCCEEDED),
        ("failed", JobState.FAILED),
        ("terminated", JobState.CANCELLED),
        ("xyz", JobState.RUNNING),
    ],
)
def test_state_mapping(native: str, state: JobState) -> None:
    assert map_state(native) is state


def test_filters_are_encoded() -> None:
    moment = dt.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=dt.timezone.utc)
    assert encode_filters(
        {
            "state__in": ["failed", "terminated"],
            "active": False,
            "datetime_created__gte": moment,
            "task_type": 3,
            "name": None,
        }
    ) == {
        "state__in": "failed,terminated",
        "active": "false",
        "datetime_created__gte": "2026-01-02T03:04:05.000006Z",
        "task_type": "3",
    }
