"""The embedded service from outside, over raw HTTP: routing, the envelope, request errors."""

from __future__ import annotations

import json

import pytest
import requests

from jobharness.targets import Target


def post(target: Target, body: bytes | str, path: str = "", **kwargs: object) -> requests.Response:
    """POST ``body`` as it is (no JSON encoding, no content type) to the service."""
    data = body.encode() if isinstance(body, str) else body
    return requests.post(target.url + path, data=data, timeout=30, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (b"", 4110, "Illegal request format, None is not of type 'object'."),
        (b"not json", 4110, "Illegal request format, None is not of type 'object'."),
        (b"[1,2]", 4110, "Illegal request format, [1, 2] is not of type 'object'."),
        (b'{"x":1}', 4110, "Illegal request format, 'action' is a required property."),
        (b'{"action":5}', 4110, "Illegal request format, 5 is not of type 'string'."),
        (b'{"action":"Unknown"}', 4000, "Unknow action Unknown."),
        (b'{"action":"describeinstances"}', 4000, "Unknow action describeinstances."),
    ],
)
def test_request_errors_answer_as_densefog(
    densefog_server: Target, body: bytes, code: int, message: str
) -> None:
    answer = post(densefog_server, body)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
    envelope = answer.json()
    assert list(envelope) == ["data", "retCode", "message"]
    assert (envelope["retCode"], envelope["message"]) == (code, message)
    assert envelope["data"]["exceptionTag"].startswith("ctx-")
    assert "exceptionStr" not in envelope["data"]


def test_success_envelope_and_content_type_not_checked(densefog_server: Target) -> None:
    answer = post(densefog_server, '{"action": "Ping", "x": 1}', headers={"Content-Type": "text/x"})
    assert answer.json() == {
        "data": {"pong": True, "echo": {"action": "Ping", "x": 1}},
        "retCode": 0,
        "message": None,
    }


def test_pretty_indents_and_sorts(densefog_server: Target) -> None:
    answer = post(densefog_server, '{"action": "Ping", "b": 1, "a": "é"}', path="?pretty")
    assert answer.text.startswith('{\n  "data": {')
    assert '"message": null,\n  "retCode": 0' in answer.text
    assert "\\u00e9" in answer.text


def test_get_banner_and_other_paths_and_methods(densefog_server: Target) -> None:
    banner = requests.get(densefog_server.url + "?anything=1", timeout=30)
    assert banner.status_code == 200 and banner.text == "It's DenseFog API service."
    assert banner.headers["Content-Type"].startswith("text/plain")
    missing = requests.post(densefog_server.url + "api/", json={"action": "Ping"}, timeout=30)
    assert missing.status_code == 404 and "text/html" in missing.headers["Content-Type"]
    wrong = requests.put(densefog_server.url, json={"action": "Ping"}, timeout=30)
    assert wrong.status_code == 405 and "text/html" in wrong.headers["Content-Type"]
    assert "POST" in wrong.headers["Allow"]


def test_datetimes_are_utc_seconds(densefog_server: Target) -> None:
    made = post(densefog_server, json.dumps({"action": "CreateInstances", "name": "t"})).json()
    ids = made["data"]["instanceIds"]
    described = post(
        densefog_server, json.dumps({"action": "DescribeInstances", "instanceIds": ids})
    ).json()["data"]
    assert described["total"] == 1 and described["limit"] == 20 and described["offset"] == 0
    item = described["instanceSet"][0]
    assert item["created"].endswith("Z") and len(item["created"]) == 20
    assert item["instanceId"] == ids[0] and item["status"] in ("pending", "creating", "active")


def test_describe_jobs_shows_the_format_and_the_retry_fields(densefog_server: Target) -> None:
    made = post(densefog_server, json.dumps({"action": "RunJob", "job": "Echo"})).json()["data"]
    page = post(
        densefog_server, json.dumps({"action": "DescribeJobs", "jobIds": [made["jobId"]]})
    ).json()["data"]
    job = page["jobSet"][0]
    assert set(job) >= {"jobId", "projectId", "action", "status", "resourceIds", "created"}
    assert set(job) >= {"trys", "tryMax", "runAt", "error"}
    assert page["total"] == 1 and job["action"] == "Echo"
