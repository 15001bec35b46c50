"""Answers the real server never gives (malformed pages and objects) are ProtocolErrors.

The embedded server cannot be made to answer wrongly, so a stub WSGI app on
127.0.0.1 plays a broken server here.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from jobharness.backends.saltant import SaltantClient
from jobharness.errors import ProtocolError

TOKEN = "stub-token-0123456789"
ANSWERS: dict[str, tuple[int, str, str]] = {
    "/api/users/": (200, "application/json", json.dumps({"count": 0, "results": []})),
    "/api/taskqueues/": (200, "text/html", "<html>maintenance</html>"),
    "/api/taskwhitelists/": (200, "application/json", json.dumps({"results": 5})),
    "/api/executabletasktypes/": (
        200,
        "application/json",
        json.dumps({"results": [], "next": 12}),
    ),
    "/api/executabletaskinstances/abc/": (200, "application/json", json.dumps({"uuid": "abc"})),
    "/api/token/": (200, "application/json", json.dumps({"refresh": "r"})),
}


@pytest.fixture(scope="module")
def stub_url() -> Iterator[str]:
    """A broken 'saltant' answering ANSWERS by path."""

    @Request.application  # type: ignore[arg-type]
    def app(request: Request) -> Response:
        status, kind, body = ANSWERS.get(request.path, (404, "application/json", "{}"))
        return Response(body, status=status, content_type=kind)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/api/"
    server.shutdown()
    thread.join()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: c.task_queues.list(), "body that is not JSON: '<html>maintenance</html>'"),
        (lambda c: c.task_whitelists.list(), "a 'results' list, got {'results': 5}"),
        (lambda c: c.executable_task_types.list(), "'next' is not a URL: 12"),
        (lambda c: c.executable_task_instances.get("abc"), "has no field 'arguments'"),
    ],
)
def test_malformed_answers(stub_url: str, call: Any, message: str) -> None:
    client = SaltantClient(stub_url, TOKEN)
    with pytest.raises(ProtocolError, match=message) as caught:
        call(client)
    assert stub_url in str(caught.value)
    assert TOKEN not in str(caught.value)


def test_a_login_answer_without_access_token(stub_url: str) -> None:
    with pytest.raises(ProtocolError, match="the answer has no 'access' token"):
        SaltantClient.login(stub_url, "alice", "pw")
