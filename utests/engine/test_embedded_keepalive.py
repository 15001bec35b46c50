"""The embedded HTTP servers keep connections alive and still stop cleanly.

Real sandbox and saltant deployments sit behind servers that keep HTTP/1.1
connections open; the embedded ones must too, or every keep-alive client
pays a new connection per call.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests

from jobharness.servers.base import EmbeddedServer
from utests.terminal.helpers import missing_openssh


@pytest.fixture(scope="module", params=["sandbox", "saltant"])
def server(request: pytest.FixtureRequest) -> Iterator[EmbeddedServer]:
    """One embedded server per backend, started for this module."""
    with EmbeddedServer(request.param) as embedded:
        yield embedded


def _headers(server: EmbeddedServer) -> dict[str, str]:
    token = server.info.get("token")
    return {"Authorization": f"Token {token}"} if token else {}


def _path(server: EmbeddedServer) -> str:
    """A readable resource of ``server``: the saltant API root, the sandbox specifications."""
    return "/api/" if server.backend == "saltant" else "/specifications/"


def test_a_session_reuses_one_connection(server: EmbeddedServer) -> None:
    url = urlsplit(server.url)._replace(path=_path(server)).geturl()
    with requests.Session() as session:
        for _ in range(5):
            response = session.get(url, headers=_headers(server), timeout=10)
            assert response.status_code == 200
            assert response.headers.get("Connection", "").lower() != "close"
        pools = session.get_adapter(url).poolmanager.pools
        keys = pools.keys()  # urllib3's pool container cannot be iterated itself
        assert [pools[key].num_connections for key in keys] == [1]


def test_get_head_and_errors_share_one_socket(server: EmbeddedServer) -> None:
    parts = urlsplit(server.url)
    assert parts.hostname is not None and parts.port is not None
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        calls = [
            ("GET", _path(server), 200),
            ("HEAD", _path(server), 200),
            ("GET", "/no/such/path/", 404),
            ("DELETE", _path(server), 405),
            ("GET", _path(server), 200),
        ]
        sockets = set()
        for method, path, status in calls:
            conn.request(method, path, headers=_headers(server))
            response = conn.getresponse()
            body = response.read()
            assert response.status == status, (method, path, body[:200])
            if method == "HEAD":
                assert body == b""
            assert conn.sock is not None, f"{method} {path} closed the connection"
            sockets.add(conn.sock.getsockname())
        assert len(sockets) == 1
    finally:
        conn.close()


def test_stops_on_sigterm_while_a_client_keeps_a_connection_open() -> None:
    embedded = EmbeddedServer("sandbox").start()
    proc = embedded._proc
    assert proc is not None
    parts = urlsplit(embedded.url)
    assert parts.hostname is not None and parts.port is not None
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", "/specifications/")
        assert conn.getresponse().read()
        embedded.stop()
    finally:
        conn.close()
    assert proc.returncode == 0, "the server did not exit by itself on SIGTERM"


@pytest.mark.parametrize("backend", ["sandbox", "sshd"])
def test_sigterm_again_and_again_while_stopping_still_ends_cleanly(backend: str) -> None:
    """The supervisor's SIGTERM to its group follows the launcher's: any number of them
    while the server stops (its interpreter finalizing included) leave its status 0."""
    reason = missing_openssh() if backend == "sshd" else None
    if reason:
        pytest.skip(reason)
    embedded = EmbeddedServer(backend).start()
    pid, proc = embedded.pid, embedded._proc
    assert pid is not None and proc is not None
    try:
        while proc.poll() is None and _child_of(pid, proc.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            time.sleep(0.001)
    finally:
        embedded.stop()
    assert embedded.returncode == 0, embedded.last_log


def _child_of(pid: int, parent: int) -> bool:
    """True while ``pid`` is a live child of ``parent`` (never signal a reused PID)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except OSError:
        return False
    return fields[0] not in (b"Z", b"X") and int(fields[1]) == parent
