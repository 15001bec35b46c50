"""Error mapping: one class per status, unknown statuses, unreachable servers, garbage answers.

Statuses the real server sends are provoked on the embedded server; the
stub only sends what the real server cannot be made to send.
"""

from __future__ import annotations

import socket
import uuid
from typing import Any

import pytest
from werkzeug.wrappers import Response

from jobharness.backends.sandbox import (
    STATUS_ERRORS,
    Sandbox,
    Sandbox400,
    Sandbox404,
    Sandbox405,
    Sandbox500,
    Sandbox503,
    SandboxError,
)
from jobharness.errors import NotFound, ProtocolError, ServerError, ServerUnreachable

MISSING = "00000000-0000-4000-8000-000000000000"


def test_every_status_class_is_a_server_error_named_after_its_status() -> None:
    for status, cls in STATUS_ERRORS.items():
        assert issubclass(cls, SandboxError) and issubclass(cls, ServerError)
        assert cls.__name__ == f"Sandbox{status}"
    assert issubclass(Sandbox404, NotFound)


def test_400_from_the_server_carries_its_reason(sandbox: Sandbox) -> None:
    with pytest.raises(Sandbox400) as caught:
        sandbox.transport.request("POST", "execute/", data={"config": "{nope"})
    error = caught.value
    assert error.status == 400 and error.response.status_code == 400
    assert "'config' json is invalid" in error.body
    assert "POST " in str(error) and "execute/ -> 400" in str(error)


def test_404_for_a_missing_environment(sandbox: Sandbox) -> None:
    with pytest.raises(Sandbox404) as caught:
        sandbox.download(MISSING)
    assert f"No environment with UUID '{MISSING}' found" in caught.value.body


def test_404_for_an_unknown_stored_environment_in_a_config(sandbox: Sandbox) -> None:
    with pytest.raises(Sandbox404):
        sandbox.execute({"commands": ["true"], "environment": MISSING})


def test_405_for_a_wrong_method(sandbox: Sandbox) -> None:
    with pytest.raises(Sandbox405):
        sandbox.transport.request("GET", "execute/")


def test_500_for_a_trap_sent_without_local_validation(sandbox: Sandbox) -> None:
    config = '{"commands": [{"command": "true", "ignore_failure": true}]}'
    with pytest.raises(Sandbox500):
        sandbox.transport.request("POST", "execute/", data={"config": config})


@pytest.mark.parametrize("status", [418, 201, 302, 599])
def test_unknown_status_is_still_a_sandbox_error(stub: Any, status: int) -> None:
    stub.reply(Response("odd", status=status))
    with Sandbox(stub.url, retries=0) as client, pytest.raises(SandboxError) as caught:
        client.specifications()
    assert type(caught.value) is SandboxError
    assert caught.value.status == status and caught.value.body == "odd"


def test_503_on_execute_is_retried_with_backoff(stub: Any) -> None:
    ok = '{"status": 0, "execution": [], "total_time": 0.0}'
    busy = Response("Sandbox overloaded, retry after a few seconds.", status=503)
    stub.reply(busy, busy, stub.json(ok))
    with Sandbox(stub.url, retries=3, backoff=0.01) as client:
        assert client.execute({"commands": ["true"]}).ok
    assert stub.paths == ["/execute/"] * 3


def test_503_on_execute_when_the_deadline_comes(stub: Any) -> None:
    stub.reply(Response("Sandbox overloaded, retry after a few seconds.", status=503))
    with Sandbox(stub.url, retries=2, backoff=0.01) as client, pytest.raises(Sandbox503) as caught:
        client.execute({"commands": ["true"]}, timeout=1.5)
    assert "overloaded" in str(caught.value)
    assert len(stub.settled()) > 3  # a refusal is retried until the deadline, whatever the count


def test_other_errors_on_execute_are_not_retried(stub: Any) -> None:
    stub.reply(Response("boom", status=500))
    with Sandbox(stub.url, retries=3, backoff=0.01) as client, pytest.raises(Sandbox500):
        client.execute({"commands": ["true"]})
    assert stub.paths == ["/execute/"]


@pytest.mark.parametrize("route", ["specifications", "execute"])
def test_non_json_answer_is_a_protocol_error_with_a_snippet(stub: Any, route: str) -> None:
    stub.reply(stub.json("<html>proxy error page</html>"))
    with Sandbox(stub.url) as client, pytest.raises(ProtocolError) as caught:
        if route == "execute":
            client.execute({"commands": ["true"]})
        else:
            client.specifications()
    assert "not JSON" in str(caught.value)
    assert caught.value.snippet == "<html>proxy error page</html>"
    assert f"{stub.url}/{route}/" in str(caught.value)


def test_json_that_is_not_an_object_is_a_protocol_error(stub: Any) -> None:
    stub.reply(stub.json("[1, 2]"))
    with Sandbox(stub.url) as client, pytest.raises(ProtocolError, match="list where an object"):
        client.specifications()


def test_bad_content_length_on_check_is_a_protocol_error() -> None:
    from jobharness.backends.sandbox.protocol import content_length

    assert content_length({"Content-Length": "232"}, "http://h/") == 232
    with pytest.raises(ProtocolError, match="Content-Length 'many'"):
        content_length({"Content-Length": "many"}, "http://h/environments/x/")


def test_unreachable_server_names_its_url() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/prefix"
    with Sandbox(url, retries=0) as client, pytest.raises(ServerUnreachable) as caught:
        client.execute({"commands": ["true"]})
    assert f"127.0.0.1:{port}/prefix/" in str(caught.value)


def test_malformed_uuid_is_refused_before_sending(stub: Any) -> None:
    from jobharness.errors import ValidationError

    with Sandbox(stub.url) as client, pytest.raises(ValidationError, match=r"^uuid: 'nope'"):
        client.download("nope")
    assert stub.paths == []


def test_uppercase_uuid_is_sent_in_the_servers_form(stub: Any) -> None:
    stub.reply(Response(b"\x1f\x8bdata"))  # an environment is a gzip archive
    with Sandbox(stub.url) as client:
        assert client.download(uuid.UUID(MISSING).hex.upper()) == b"\x1f\x8bdata"
    assert stub.paths == [f"/environments/{MISSING}/"]


def test_error_texts_mask_credentials(stub: Any) -> None:
    stub.reply(Response('{"detail": "bad", "token": "s3cr3t-value"}', status=400))
    with Sandbox(stub.url) as client, pytest.raises(Sandbox400) as caught:
        client.specifications()
    assert "s3cr3t-value" not in str(caught.value) and "s3cr3t-value" not in caught.value.body
    assert '"token": "***"' in caught.value.body


def test_slow_answer_is_a_request_timeout(stub: Any) -> None:
    import time

    from jobharness.errors import RequestTimedOut

    def slow(request: Any) -> Response:
        time.sleep(1)
        return stub.json("{}")

    stub.handler = slow
    with Sandbox(stub.url, request_timeout=0.2) as client, pytest.raises(RequestTimedOut) as caught:
        client.execute({"commands": ["true"]})
    assert "did not answer within 0.2 s" in str(caught.value)
    assert stub.settled() == ["/execute/"]  # an execution is never sent twice
