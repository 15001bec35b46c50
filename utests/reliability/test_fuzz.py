"""Fuzzing: client configs, keyword arguments and server replies, for every backend.

Whatever a user passes or a server answers, the only exception that may
escape is a :class:`~jobharness.errors.JobHarnessError` with a message
(Robot turns it into a failed keyword, pytest into a clear failure).
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobharness import wait_for
from jobharness.backends.densefog import DensefogClient
from jobharness.backends.harp import HarpCaller
from jobharness.backends.saltant import SaltantClient
from jobharness.backends.sandbox import Sandbox
from jobharness.deadline import parse_timeout
from jobharness.errors import JobHarnessError

from .conftest import scaled
from .figures import record

EXAMPLES = scaled(30, 300)
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.binary(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.sampled_from(["http://127.0.0.1:1/", "1 min", "-1", "nan", "", " ", "x" * 300]),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)


def attempt(call: Callable[[], object]) -> None:
    """Run ``call``: returning or a JobHarnessError with a message is clean; else it fails."""
    record(inputs_tried=1)
    try:
        call()
    except JobHarnessError as exc:
        assert str(exc).strip(), f"a {type(exc).__name__} without a message"
        record(clean_errors=1)
    except Exception as exc:
        record(raw_exceptions=1)
        raise AssertionError(f"raw {type(exc).__name__}: {exc}") from exc
    else:
        record(clean_errors=1)  # accepted: a valid input


# -- client configs -----------------------------------------------------------------------------


@FUZZ
@given(url=anything, request_timeout=anything, retries=anything, backoff=anything, size=anything)
def test_sandbox_configs(
    url: Any, request_timeout: Any, retries: Any, backoff: Any, size: Any
) -> None:
    def make() -> None:
        Sandbox(
            url, request_timeout, retries=retries, backoff=backoff, max_reply_bytes=size
        ).close()

    attempt(make)


@FUZZ
@given(url=anything, token=anything, timeout=anything, retries=anything, verify=anything)
def test_saltant_configs(url: Any, token: Any, timeout: Any, retries: Any, verify: Any) -> None:
    def make() -> None:
        SaltantClient(
            url, token, timeout, test_if_authenticated=False, retries=retries, verify=verify
        ).close()

    attempt(make)


@FUZZ
@given(host=anything, port=anything, timeout=anything)
def test_harp_configs(host: Any, port: Any, timeout: Any) -> None:
    attempt(lambda: HarpCaller(host, port, request_timeout=timeout))


@FUZZ
@given(url=anything, headers=anything, timeout=anything, retries=anything)
def test_densefog_configs(url: Any, headers: Any, timeout: Any, retries: Any) -> None:
    def make() -> None:
        DensefogClient(url, headers, timeout, retries=retries, jobs_action=None).close()

    attempt(make)


# -- arguments of calls and keywords ------------------------------------------------------------


@FUZZ
@given(jobs=anything, timeout=anything, mode=anything, on_timeout=anything)
def test_wait_arguments(jobs: Any, timeout: Any, mode: Any, on_timeout: Any) -> None:
    attempt(lambda: wait_for(jobs, timeout, mode=mode, on_timeout=on_timeout))
    attempt(lambda: parse_timeout(timeout))


@FUZZ
@given(job=anything, timeout=anything, state=anything, poll=anything)
def test_job_library_keywords(job: Any, timeout: Any, state: Any, poll: Any) -> None:
    from robotlib.jobs import JobLibrary

    library = JobLibrary()
    attempt(lambda: library.wait_for_job(job, timeout=timeout, poll=poll))
    attempt(lambda: library.job_state_should_be(job, state))
    attempt(lambda: library.cancel_job(job))
    attempt(lambda: library.get_job_result(job))


@FUZZ
@given(name=anything, command=anything, required=anything, defaults=anything, filters=anything)
def test_saltant_manager_arguments(
    name: Any, command: Any, required: Any, defaults: Any, filters: Any
) -> None:
    client = SaltantClient("http://127.0.0.1:1/", "token", 0.2, test_if_authenticated=False)
    types = client.executable_task_types
    attempt(lambda: types.create(name, command, required_arguments=required))
    attempt(lambda: types.create("n", "c", required_arguments_default_values=defaults))
    attempt(lambda: types.list(filters))
    attempt(lambda: types.get(id=name))
    attempt(lambda: client.executable_task_instances.create(name, command, defaults, "x"))


@FUZZ
@given(config=anything, environ=anything, uuid=anything)
def test_sandbox_call_arguments(config: Any, environ: Any, uuid: Any) -> None:
    with Sandbox("http://127.0.0.1:1/", 0.2, retries=0) as client:
        attempt(lambda: client.execute(config, environ))
        attempt(lambda: client.download(uuid))
        attempt(lambda: client.check(uuid, config))


# -- server replies -----------------------------------------------------------------------------


class ReplyServer:
    """Answers every connection with :attr:`reply` (raw bytes), then closes it."""

    def __init__(self) -> None:
        self.reply = b""
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with contextlib.suppress(OSError), client:
                client.settimeout(1)
                client.recv(65536)
                client.sendall(self.reply)
                client.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self._stop.set()
        self._listener.close()


@pytest.fixture(scope="module")
def reply_server() -> Iterator[ReplyServer]:
    server = ReplyServer()
    yield server
    server.close()


statuses = st.sampled_from([200, 201, 202, 204, 301, 400, 401, 403, 404, 405, 409, 500, 503])
bodies = st.one_of(json_values.map(lambda v: json.dumps(v).encode()), st.binary(max_size=200))


def http_reply(status: int, body: bytes, length: bool) -> bytes:
    head = f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nConnection: close\r\n"
    if length:
        head += f"Content-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


@FUZZ
@given(status=statuses, body=bodies, length=st.booleans())
def test_http_replies(reply_server: ReplyServer, status: int, body: bytes, length: bool) -> None:
    reply_server.reply = http_reply(status, body, length)
    env = "0f0e0d0c-0b0a-4908-8706-050403020100"
    with Sandbox(reply_server.url, 2, retries=0) as sandbox:
        attempt(sandbox.specifications)
        attempt(lambda: sandbox.execute({"commands": ["true"]}))
        attempt(lambda: sandbox.check(env))
        attempt(lambda: sandbox.download(env))
    attempt(lambda: SaltantClient(reply_server.url, "token", 2, retries=0).close())
    saltant = SaltantClient(reply_server.url, "token", 2, test_if_authenticated=False, retries=0)
    attempt(lambda: saltant.executable_task_types.list())
    attempt(lambda: saltant.executable_task_instances.get("x"))
    attempt(lambda: saltant.executable_task_instances.job("x").refresh())
    with DensefogClient(reply_server.url, None, 2, retries=0) as densefog:
        attempt(lambda: densefog.call("DescribeJobs"))
        attempt(lambda: densefog.job("job-x").refresh())


@FUZZ
@given(lines=st.lists(bodies, max_size=4))
def test_json_lines_replies(reply_server: ReplyServer, lines: list[bytes]) -> None:
    reply_server.reply = b"\n".join(lines) + (b"\n" if lines else b"")
    caller = HarpCaller("127.0.0.1", reply_server.port, request_timeout=2)
    attempt(lambda: caller.submit("local", "ping", []))
    attempt(lambda: caller.job("5b1d6d52-6d2e-4c4b-9d64-3c1c6e0d5a11").refresh())
    attempt(lambda: caller.job("5b1d6d52-6d2e-4c4b-9d64-3c1c6e0d5a11").stream().all())
