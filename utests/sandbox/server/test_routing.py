"""Routes, methods and framework-level answers of the embedded sandbox server."""

from __future__ import annotations

import uuid

import pytest
import requests

GET_ROUTES = ["specifications/", "usages/", "libraries/"]
SAMPLE = "0f8e3a52-4c1d-4b7e-9a6f-2d5c8b1e7a90"


@pytest.mark.parametrize("path", ["specifications", "usages", "libraries", "execute"])
def test_missing_trailing_slash_is_a_plain_404_without_redirect(sandbox_target, path):
    response = requests.get(f"{sandbox_target.url}/{path}", allow_redirects=False, timeout=10)
    assert response.status_code == 404
    assert "Location" not in response.headers
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<h1>Not Found</h1>" in response.text


def test_post_without_trailing_slash_is_404_not_405(sandbox_target):
    response = requests.post(f"{sandbox_target.url}/execute", data={"config": "{}"}, timeout=10)
    assert response.status_code == 404


def test_unknown_route_and_doubled_slash_are_404(sandbox_target):
    assert sandbox_target.get("nothing/").status_code == 404
    assert sandbox_target.get("specifications//").status_code == 404


@pytest.mark.parametrize(
    "bad",
    [SAMPLE.upper(), SAMPLE.replace("-", ""), "not-a-uuid", SAMPLE + "0", "{" + SAMPLE + "}"],
)
def test_uuid_must_be_lowercase_and_hyphenated(sandbox_target, bad):
    for path in (f"environments/{bad}/", f"files/{bad}/a.txt/"):
        response = sandbox_target.get(path)
        assert response.status_code == 404
        assert "<h1>Not Found</h1>" in response.text  # the generic page, not the app's text


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("path", [*GET_ROUTES, "environments/{u}/", "files/{u}/a/"])
def test_wrong_method_on_read_routes_is_an_empty_405_with_allow(sandbox_target, method, path):
    url = f"{sandbox_target.url}/{path.format(u=uuid.uuid4())}"
    response = requests.request(method, url, timeout=10)
    assert response.status_code == 405
    assert response.content == b""
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "DELETE"])
def test_wrong_method_on_execute_is_an_empty_405_with_allow(sandbox_target, method):
    response = requests.request(method, f"{sandbox_target.url}/execute/", timeout=10)
    assert response.status_code == 405
    assert response.content == b""
    assert response.headers["Allow"] == "POST, OPTIONS"


@pytest.mark.parametrize(
    ("path", "allow"),
    [(path, "GET, HEAD, OPTIONS") for path in GET_ROUTES]
    + [
        ("environments/{u}/", "GET, HEAD, OPTIONS"),
        ("files/{u}/dir/a.txt/", "GET, HEAD, OPTIONS"),
        ("execute/", "POST, OPTIONS"),
    ],
)
def test_options_answers_200_with_allow_and_empty_body(sandbox_target, path, allow):
    url = f"{sandbox_target.url}/{path.format(u=uuid.uuid4())}"
    response = requests.options(url, timeout=10)
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["Allow"] == allow
    assert response.headers["Content-Length"] == "0"


@pytest.mark.parametrize("path", GET_ROUTES)
def test_head_on_json_routes_has_the_get_headers_and_no_body(sandbox_target, path):
    response = requests.head(f"{sandbox_target.url}/{path}", timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert int(response.headers["Content-Length"]) > 0
    assert response.content == b""


def test_host_header_is_not_checked(sandbox_target):
    response = sandbox_target.get("specifications/", headers={"Host": "localhost"})
    assert response.status_code == 200


def test_status_lines_carry_the_standard_reason_phrases(sandbox_target):
    """The real server says ``404 Not Found``, never werkzeug's ``404 NOT FOUND``."""
    missing = f"environments/{uuid.uuid4()}/"
    answers = [
        (requests.get(f"{sandbox_target.url}/{missing}", timeout=10), "Not Found"),
        (requests.get(f"{sandbox_target.url}/nothing/", timeout=10), "Not Found"),
        (sandbox_target.execute({"commands": []}), "Bad Request"),
        (requests.get(f"{sandbox_target.url}/execute/", timeout=10), "Method Not Allowed"),
        (
            sandbox_target.execute({"commands": [{"command": "x", "bad": 1}]}),
            "Internal Server Error",
        ),
        (sandbox_target.get("specifications/"), "OK"),
    ]
    assert [response.reason for response, _ in answers] == [reason for _, reason in answers]


def test_every_embedded_http_server_says_the_standard_phrase():
    """make_http_server serves every backend's app (sandbox, saltant): it fixes the phrase once."""
    import threading

    from jobharness.servers.base import make_http_server

    def app(environ, start_response):
        status = environ["PATH_INFO"].strip("/").replace("-", " ")
        start_response(status, [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]

    server = make_http_server("127.0.0.1", 0, app, threads=2)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.port}"
        sent = ["404-NOT-FOUND", "503-SERVICE-UNAVAILABLE", "418-teapot", "299-Odd", "200-OK"]
        reasons = [requests.get(f"{base}/{status}/", timeout=10).reason for status in sent]
    finally:
        server.shutdown()
        server.server_close()
    assert reasons == ["Not Found", "Service Unavailable", "I'm a Teapot", "Odd", "OK"]
