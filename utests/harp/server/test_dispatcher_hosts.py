"""Failures on the dispatcher→harpd leg (§1.9) and the hosts registry options."""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from jobharness.backends.harp.target import HarpTargets, host_entry

from .conftest import DispatcherClient


def _entry(name: str, port: Any, address: str = "127.0.0.1") -> dict[str, Any]:
    return {
        "hostname": name,
        "address": address,
        "port": port,
        "credentials": {"user": "u", "password": "p"},
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MisbehavingHarpd:
    """A TLS server that reads the request and then answers ``reply`` (or just closes)."""

    def __init__(self, reply: bytes) -> None:
        ca = trustme.CA()
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert("127.0.0.1").configure_cert(self.context)
        self.reply = reply
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                raw, _ = self.listener.accept()
                with (
                    contextlib.suppress(OSError),
                    self.context.wrap_socket(raw, server_side=True) as tls,
                ):
                    tls.settimeout(10)
                    data = b""
                    while b"\n" not in data:
                        chunk = tls.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                    tls.sendall(self.reply)

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def misbehaving() -> Iterator[Callable[[bytes], MisbehavingHarpd]]:
    servers: list[MisbehavingHarpd] = []

    def start(reply: bytes) -> MisbehavingHarpd:
        servers.append(MisbehavingHarpd(reply))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def test_connection_refused(start_dispatcher: Callable[..., DispatcherClient]) -> None:
    dispatcher = start_dispatcher(entries=[_entry("down", _free_port())])
    assert dispatcher.result(dispatcher.submit("ping", host="down")) == {
        "error": {"type": "econnrefused", "message": "connection refused"}
    }


@pytest.mark.parametrize("port", [0, 70000, "4306"])
def test_bad_address(start_dispatcher: Callable[..., DispatcherClient], port: Any) -> None:
    dispatcher = start_dispatcher(entries=[_entry("bad", port)])
    assert dispatcher.result(dispatcher.submit("ping", host="bad")) == {
        "error": {"type": "bad_address", "message": "invalid host address or port number"}
    }


def test_tls_failure_without_ca_file(start_dispatcher: Callable[..., DispatcherClient]) -> None:
    dispatcher = start_dispatcher(ca=False)
    error = dispatcher.result(dispatcher.submit("ping"))["error"]
    assert error["type"] == "ssl"
    assert "certificate verify failed" in error["message"]


def test_insecure_accepts_any_certificate(
    start_dispatcher: Callable[..., DispatcherClient],
) -> None:
    dispatcher = start_dispatcher("--insecure", ca=False)
    assert dispatcher.result(dispatcher.submit("ping")) == {"result": "pong"}


def test_wrong_credentials_are_auth_error(
    start_dispatcher: Callable[..., DispatcherClient], harp: HarpTargets
) -> None:
    entry = {**host_entry(harp.harpd_info), "hostname": "wrong"}
    entry["credentials"] = {"user": entry["credentials"]["user"], "password": "wrong"}
    dispatcher = start_dispatcher(entries=[entry])
    assert dispatcher.result(dispatcher.submit("ping", host="wrong")) == {
        "error": {"type": "auth_error", "message": "unknown user or wrong password"}
    }


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (b"", {"type": "closed", "message": "connection closed unexpectedly"}),
        (
            b'{"harp": 1, "stream_result": false}\n',
            {"type": "closed", "message": "connection closed unexpectedly"},
        ),
        (b"garbage\n", {"type": "bad_protocol", "message": "Harp protocol error"}),
        (
            b'{"harp": 2, "stream_result": false}\n',
            {"type": "bad_protocol", "message": "Harp protocol error"},
        ),
        (
            b'{"harp": 1, "stream_result": false}\n{"stream": 1}\n',
            {"type": "bad_protocol", "message": "Harp protocol error"},
        ),
        (
            b'{"harp": 1, "stream_result": true}\n{"what": 1}\n',
            {"type": "bad_protocol", "message": "Harp protocol error"},
        ),
    ],
)
def test_misbehaving_harpd(
    start_dispatcher: Callable[..., DispatcherClient],
    misbehaving: Callable[[bytes], MisbehavingHarpd],
    reply: bytes,
    error: dict[str, str],
) -> None:
    fake = misbehaving(reply)
    dispatcher = start_dispatcher("--insecure", entries=[_entry("fake", fake.port)], ca=False)
    assert dispatcher.result(dispatcher.submit("ping", host="fake")) == {"error": error}


def test_host_entry_option_and_invalid_hosts_file_lines(
    harp: HarpTargets, start_server: Callable[..., Any], tmp_path: Path
) -> None:
    hosts = tmp_path / "hosts.jsonl"
    hosts.write_text(
        "not json\n"
        + json.dumps({**host_entry(harp.harpd_info), "hostname": "from-file"})
        + "\n"
        + json.dumps({"hostname": "incomplete"})
        + "\n",
        encoding="utf-8",
    )
    server = start_server(
        "harp",
        "--hosts-file",
        str(hosts),
        "--host-entry",
        json.dumps({**host_entry(harp.harpd_info), "hostname": "from-option"}),
        "--ca-file",
        harp.harpd_info["ca_file"],
    )
    assert server.info["hosts"] == ["from-file", "from-option"]
    dispatcher = DispatcherClient(server.info)
    for host in ("from-file", "from-option"):
        assert dispatcher.result(dispatcher.submit("ping", host=host)) == {"result": "pong"}
