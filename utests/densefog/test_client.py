"""The action client: the envelope, answers that are not envelopes, headers as secrets, retries."""

from __future__ import annotations

import json

import pytest

from jobharness.backends.densefog import DensefogClient, UnknownAction, parse_headers
from jobharness.errors import ConfigurationError, ConnectionLost, ProtocolError
from jobharness.targets import Target

from .helpers import Canned, Requests, canned_server, unique

SECRET = "s3cr3t-value-Zq9"


def test_call_returns_the_data_and_sends_the_params(client: DensefogClient) -> None:
    data = client.call("Ping", x=1, name="ünï")
    assert data == {"pong": True, "echo": {"action": "Ping", "x": 1, "name": "ünï"}}


def test_call_with_takes_params_named_like_python_keywords(client: DensefogClient) -> None:
    data = client.call_with("Ping", {"class": "a", "from": 2})
    assert data["echo"] == {"action": "Ping", "class": "a", "from": 2}


def test_envelope_gives_error_codes_without_raising(client: DensefogClient) -> None:
    envelope = client.envelope("NoSuchAction")
    assert envelope.code == 4000
    assert envelope.message == "Unknow action NoSuchAction."
    assert envelope.data["exceptionTag"].startswith("ctx-")


def test_the_banner_is_the_services(client: DensefogClient) -> None:
    assert client.banner() == "It's DenseFog API service."


@pytest.mark.parametrize(
    ("canned", "shown"),
    [
        (Canned(404, "text/html", b"<!doctype html><title>404 Not Found</title>"), "404"),
        (Canned(405, "text/html", b"<title>405 Method Not Allowed</title>"), "405"),
        (Canned(200, "text/plain", b"It's DenseFog API service."), "DenseFog API service"),
        (Canned(200, "application/json", b'{"result": 1}'), "not a JSON envelope"),
        (Canned(200, "application/json", b'{"retCode": "0"}'), "not a JSON envelope"),
        (Canned(200, "application/json", b"[1, 2]"), "not a JSON envelope"),
    ],
)
def test_an_answer_that_is_not_an_envelope_is_a_protocol_error(canned: Canned, shown: str) -> None:
    with (
        canned_server(canned) as url,
        DensefogClient(url, retries=0) as client,
        pytest.raises(ProtocolError) as caught,
    ):
        client.call("DescribeInstances")
    text = str(caught.value)
    assert "action DescribeInstances" in text and url in text and shown in text
    assert canned.body.decode()[:20] in text


def test_a_wrong_path_on_the_real_service_is_a_protocol_error(service: Target) -> None:
    with (
        DensefogClient(service.url + "api/v1/", retries=0) as client,
        pytest.raises(ProtocolError, match=r"answered 404 .*text/html.*not a JSON envelope"),
    ):
        client.call("DescribeInstances")


def test_headers_are_sent_and_never_shown() -> None:
    body = json.dumps({"retCode": 4000, "message": f"Unknow action {SECRET}.", "data": {}})
    canned = Canned(200, "application/json", body.encode())
    headers = f"X-Le-Key: key-1; X-Le-Secret: {SECRET}"
    with canned_server(canned) as url, DensefogClient(url, headers) as client:
        with pytest.raises(UnknownAction) as caught:
            client.call("Nope", password=SECRET, note=SECRET)
        assert canned.headers_seen[0]["X-Le-Secret"] == SECRET
        assert canned.headers_seen[0]["X-Le-Key"] == "key-1"
        assert SECRET not in repr(client) and "X-Le-Secret" in repr(client)
    assert SECRET not in str(caught.value)
    assert SECRET not in caught.value.body


def test_headers_parse_from_json_and_text() -> None:
    assert parse_headers('{"X-A": "1", "X-B": 2}') == {"X-A": "1", "X-B": "2"}
    assert parse_headers("X-A: 1\nX-B: two: three") == {"X-A": "1", "X-B": "two: three"}
    assert parse_headers(None) == {}
    with pytest.raises(ConfigurationError) as caught:
        parse_headers(f"no colon {SECRET}")
    assert SECRET not in str(caught.value)


def test_a_create_is_never_sent_twice_but_a_describe_is_retried() -> None:
    canned = Canned(close_without_answer=True)
    with canned_server(canned) as url, DensefogClient(url, retries=2) as client:
        with pytest.raises(ConnectionLost):
            client.call("CreateInstances", count=1)
        assert canned.count == 1
        canned.count = 0
        with pytest.raises(ConnectionLost):
            client.call("DescribeInstances")
        assert canned.count == 3
        canned.count = 0
        client.read_actions.add("ListThings")
        with pytest.raises(ConnectionLost):
            client.call("ListThings")
        assert canned.count == 3


def test_create_resources_reads_the_ids_and_the_job(client: DensefogClient) -> None:
    made = client.create_resources("instance", count=2, name=unique("pair"))
    try:
        assert len(made.ids) == 2 and all(i.startswith("inst-") for i in made.ids)
        assert made.job is not None and made.job.id == made.data["jobId"]
        assert made.resources.wait(30, status="active") == dict.fromkeys(made.ids, "active")
    finally:
        made.resources.wait(30, on_timeout="continue")
        made.resources.clean_up()


def test_a_create_answer_without_ids_is_a_protocol_error(client: DensefogClient) -> None:
    with pytest.raises(ProtocolError, match="no 'instanceIds' list"):
        client.create_resources("instance", action="Ping")


def test_requests_of_a_recorded_client(client: DensefogClient) -> None:
    recorder = Requests()
    client._transport.session.hooks["response"].append(recorder.hook)
    client.call("Ping")
    assert recorder.actions("Ping") == 1
