"""Fixtures for the harp server tests: real embedded servers and raw wire clients."""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from jobharness.backends.harp.target import HarpTargets, embedded_targets, host_entry
from jobharness.servers.base import EmbeddedServer

PROCEDURES = Path(__file__).with_name("procedures_for_tests.py")
IO_TIMEOUT = 15.0


def read_all(sock: socket.socket) -> bytes:
    """Everything until the server closes; a reset counts as a close."""
    sock.settimeout(IO_TIMEOUT)
    data = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(65536):
            data += chunk
    return data


def lines(data: bytes) -> list[Any]:
    """The JSON objects of reply bytes."""
    return [json.loads(line) for line in data.decode("utf-8").splitlines()]


class HarpdClient:
    """Raw TLS client of a harpd."""

    def __init__(self, info: dict[str, Any]) -> None:
        self.info = info
        self.context = ssl.create_default_context(cafile=info["ca_file"])
        self.auth = {"user": info["user"], "password": info["password"]}

    def connect(self, context: ssl.SSLContext | None = None) -> ssl.SSLSocket:
        """An established TLS connection."""
        raw = socket.create_connection((self.info["host"], self.info["port"]), timeout=IO_TIMEOUT)
        return (context or self.context).wrap_socket(raw, server_hostname=self.info["host"])

    def request(self, procedure: str, arguments: Any = (), /, **overrides: Any) -> dict[str, Any]:
        """A request object with the announced credentials."""
        args = list(arguments) if isinstance(arguments, tuple) else arguments
        return {
            "harp": 1,
            "procedure": procedure,
            "arguments": args,
            "auth": self.auth,
            **overrides,
        }

    def raw(self, payload: bytes) -> bytes:
        """Send ``payload`` as is; all reply bytes."""
        with self.connect() as tls:
            tls.sendall(payload)
            return read_all(tls)

    def call(self, procedure: str, arguments: Any = (), /, **overrides: Any) -> list[Any]:
        """Call and return the reply objects."""
        message = self.request(procedure, arguments, **overrides)
        return lines(self.raw(json.dumps(message).encode() + b"\n"))


class DispatcherClient:
    """Raw TCP client of a dispatcher."""

    def __init__(self, info: dict[str, Any]) -> None:
        self.info = info

    def connect(self) -> socket.socket:
        """A connection to the dispatcher."""
        return socket.create_connection((self.info["host"], self.info["port"]), timeout=IO_TIMEOUT)

    def raw(self, payload: bytes) -> bytes:
        """Send ``payload``; all reply bytes (``b""`` = closed without reply)."""
        with self.connect() as sock:
            sock.sendall(payload)
            return read_all(sock)

    def send(self, message: Any) -> list[Any]:
        """Send one request object; the reply objects."""
        return lines(self.raw(json.dumps(message).encode() + b"\n"))

    def submit(
        self, procedure: str, arguments: Any = (), host: str = "local", **options: Any
    ) -> str:
        """Submit a call; its job id."""
        args = list(arguments) if isinstance(arguments, tuple) else arguments
        reply = self.send(
            {"harpcaller": 1, "host": host, "procedure": procedure, "arguments": args, **options}
        )
        assert len(reply) == 1 and set(reply[0]) == {"harpcaller", "job_id"}, reply
        return str(reply[0]["job_id"])

    def op(self, operation: str, job_id: str, **options: Any) -> list[Any]:
        """An operation on a job."""
        return self.send({"harpcaller": 1, operation: job_id, **options})

    def result(self, job_id: str, wait: bool = True) -> Any:
        """The single reply of ``get_result``."""
        reply = self.op("get_result", job_id, wait=wait)
        assert len(reply) == 1, reply
        return reply[0]

    def status(self, job_id: str) -> Any:
        """The single reply of ``get_status``."""
        (reply,) = self.op("get_status", job_id)
        return reply

    def wait_until(self, predicate: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
        """Poll ``predicate`` until true (a deadline, not a timing assertion)."""
        end = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < end, f"timed out waiting for {what}"
            time.sleep(0.05)

    def packets_stored(self, job_id: str) -> int:
        """How many packets ``read_stream`` shows."""
        return sum(1 for item in self.op("read_stream", job_id) if "packet" in item)


@pytest.fixture(scope="session")
def harp() -> Iterator[HarpTargets]:
    """A harpd with the test procedures and a dispatcher naming it ``local`` (one per worker)."""
    with embedded_targets(PROCEDURES) as pair:
        yield pair


@pytest.fixture(scope="session")
def harpd(harp: HarpTargets) -> HarpdClient:
    """Raw client of the session harpd."""
    return HarpdClient(harp.harpd_info)


@pytest.fixture(scope="session")
def dispatcher(harp: HarpTargets) -> DispatcherClient:
    """Raw client of the session dispatcher."""
    return DispatcherClient(harp.dispatcher_info)


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[..., EmbeddedServer]]:
    """Start extra embedded servers (``backend``, args); stopped after the test."""
    started: list[EmbeddedServer] = []

    def start(backend: str, *args: str) -> EmbeddedServer:
        server = EmbeddedServer(backend, args, workdir=tmp_path / f"{backend}{len(started)}")
        started.append(server.start())
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def start_dispatcher(
    harp: HarpTargets, start_server: Callable[..., EmbeddedServer], tmp_path: Path
) -> Callable[..., DispatcherClient]:
    """Start an extra dispatcher whose registry has ``local`` plus ``entries``."""

    def start(*args: str, entries: list[dict[str, Any]] = (), ca: bool = True) -> DispatcherClient:  # type: ignore[assignment]
        hosts = tmp_path / f"hosts{time.monotonic_ns()}.jsonl"
        hosts.write_text(
            "".join(json.dumps(e) + "\n" for e in [host_entry(harp.harpd_info), *entries]),
            encoding="utf-8",
        )
        options = ["--hosts-file", str(hosts)]
        if ca:
            options += ["--ca-file", str(harp.harpd_info["ca_file"])]
        return DispatcherClient(start_server("harp", *options, *args).info)

    return start
