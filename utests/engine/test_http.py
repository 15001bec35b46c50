"""The HTTP transport against a real local HTTP server."""

from __future__ import annotations

import socket

import pytest
from werkzeug.wrappers import Request, Response

from jobharness.errors import (
    AuthenticationFailed,
    NotFound,
    ProtocolError,
    RequestTimedOut,
    ServerError,
    ServerUnreachable,
)
from jobharness.redaction import Redactor
from jobharness.transport.http import HttpTransport
from jobharness.transport.retry import RetryPolicy


def counting(status_sequence):
    calls = []

    def handler(request: Request) -> Response:
        calls.append(request.method)
        status = status_sequence[min(len(calls), len(status_sequence)) - 1]
        return Response('{"ok": true}', status=status, content_type="application/json")

    return handler, calls


def test_get_is_retried_on_503(http_server):
    handler, calls = counting([503, 503, 200])
    transport = HttpTransport(http_server(handler), retry=RetryPolicy(backoff=0.001))
    assert transport.json(transport.request("GET", "x/")) == {"ok": True}
    assert calls == ["GET", "GET", "GET"]


def test_post_is_never_retried_unless_the_status_is_named(http_server):
    handler, calls = counting([503, 200])
    transport = HttpTransport(http_server(handler), retry=RetryPolicy(backoff=0.001))
    with pytest.raises(ServerError) as info:
        transport.request("POST", "x/")
    assert info.value.status == 503 and calls == ["POST"]

    handler, calls = counting([503, 200])
    transport = HttpTransport(http_server(handler), retry=RetryPolicy(backoff=0.001))
    transport.request("POST", "x/", retry_statuses=(503,))
    assert calls == ["POST", "POST"]


@pytest.mark.parametrize(
    ("status", "error"), [(401, AuthenticationFailed), (403, AuthenticationFailed), (404, NotFound)]
)
def test_status_maps_to_error_class_with_method_url_and_body(http_server, status, error):
    url = http_server(lambda r: Response("nope: token abc", status=status))
    transport = HttpTransport(url, redactor=Redactor(["abc"]))
    with pytest.raises(error) as info:
        transport.request("GET", "thing/")
    text = str(info.value)
    assert text.startswith(f"GET {url}thing/ -> {status}") and "nope" in text
    assert "abc" not in text and info.value.status == status


def test_non_json_body_is_a_protocol_error_with_snippet(http_server):
    transport = HttpTransport(http_server(lambda r: Response("<html>oops</html>")))
    with pytest.raises(ProtocolError) as info:
        transport.json(transport.request("GET", "x"))
    assert "<html>oops</html>" in str(info.value) and info.value.snippet == "<html>oops</html>"


def test_unreachable_server_names_its_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    transport = HttpTransport(f"http://127.0.0.1:{port}", retry=RetryPolicy(retries=0))
    with pytest.raises(ServerUnreachable, match=f"127.0.0.1:{port}"):
        transport.request("GET", "x")


def test_request_timeout_is_reported(http_server):
    import time

    def slow(request: Request) -> Response:
        time.sleep(0.5)
        return Response("{}")

    transport = HttpTransport(http_server(slow), request_timeout=0.05, retry=RetryPolicy(retries=0))
    with pytest.raises(RequestTimedOut, match=r"did not answer within 0\.05 s"):
        transport.request("GET", "x")


def test_relative_url_is_rejected():
    with pytest.raises(ValueError, match="must be absolute"):
        HttpTransport("127.0.0.1:8000")


def test_base_path_prefix_is_kept(http_server):
    seen = []

    def handler(request: Request) -> Response:
        seen.append(request.path)
        return Response("{}")

    transport = HttpTransport(http_server(handler) + "prefix")
    transport.request("GET", "/specifications/")
    assert seen == ["/prefix/specifications/"]


def test_retries_are_logged_at_debug_not_warning(caplog):
    """A connection the server drops is retried, logged at DEBUG only (Robot shows warnings)."""
    import logging
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(2)

    def serve() -> None:
        first, _ = listener.accept()
        first.close()  # drop the first request without an answer
        second, _ = listener.accept()
        second.recv(65536)
        second.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
        second.close()

    threading.Thread(target=serve, daemon=True).start()
    transport = HttpTransport(
        f"http://127.0.0.1:{listener.getsockname()[1]}", retry=RetryPolicy(backoff=0.001)
    )
    with caplog.at_level(logging.DEBUG):
        assert transport.json(transport.request("GET", "x/")) == {}
    listener.close()
    retried = [r for r in caplog.records if "again in" in r.getMessage()]
    assert len(retried) == 1, "the dropped connection was not retried"
    assert retried[0].levelno == logging.DEBUG
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
