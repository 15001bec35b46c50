"""Fixtures of the embedded saltant server tests: real servers on 127.0.0.1, raw HTTP clients."""

from __future__ import annotations

import secrets
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from jobharness.servers.base import EmbeddedServer

JOBSCRIPT = Path(__file__).with_name("jobscript.py")
PYTHON = sys.executable
FINISHED = ("successful", "failed", "terminated")


def unique(prefix: str) -> str:
    """A name no other test or xdist worker uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@dataclass
class Api:
    """Raw HTTP access to a saltant server as one user."""

    url: str
    token: str | None
    session: requests.Session = field(default_factory=requests.Session)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send ``method`` to ``url + path`` with this user's token (unless headers say else)."""
        headers = dict(kwargs.pop("headers", {}) or {})
        if self.token is not None:
            headers.setdefault("Authorization", f"Token {self.token}")
        kwargs.setdefault("timeout", 30)
        return self.session.request(method, self.url + path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        """GET."""
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        """POST."""
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        """PUT."""
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        """PATCH."""
        return self.request("PATCH", path, **kwargs)

    def created(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST ``body`` as JSON and return the created object (asserting 201)."""
        response = self.post(path, json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def wait(
        self, kind: str, uid: str, states: tuple[str, ...] = FINISHED, timeout: float = 20
    ) -> dict[str, Any]:
        """Poll instance ``uid`` of ``kind`` until its state is one of ``states``."""
        end = time.monotonic() + timeout
        while True:
            body = dict(self.get(f"{kind}taskinstances/{uid}/").json())
            if body["state"] in states or time.monotonic() > end:
                assert body["state"] in states, body
                return body
            time.sleep(0.05)


@dataclass
class Server:
    """A started embedded server with its users' tokens and its data directory."""

    embedded: EmbeddedServer
    data_dir: Path
    tokens: dict[str, str]

    @property
    def url(self) -> str:
        """The API root URL."""
        return self.embedded.url

    def api(self, user: str = "admin") -> Api:
        """A client acting as ``user``."""
        return Api(self.url, self.tokens[user])

    def log(self, uid: str, stream: str = "stdout") -> str:
        """The stdout or stderr log of job ``uid``."""
        return (self.data_dir / "logs" / uid / f"{uid}-{stream}.txt").read_text()


def start_server(data_dir: Path, *extra: str, tokens: dict[str, str] | None = None) -> Server:
    """Start a server with an admin (password ``adminpw``) and users bob and carol."""
    tokens = tokens or {name: secrets.token_hex(20) for name in ("admin", "bob", "carol")}
    args = [
        "--token",
        tokens["admin"],
        "--admin-password",
        "adminpw",
        "--user",
        f"bob:bobpw:{tokens['bob']}",
        "--user",
        f"carol:carolpw:{tokens['carol']}",
        "--data-dir",
        str(data_dir),
        *extra,
    ]
    embedded = EmbeddedServer("saltant", args=args).start()
    return Server(embedded, data_dir, tokens)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The session's shared server (tests use unique names, so they do not collide)."""
    started = start_server(tmp_path_factory.mktemp("saltant") / "data")
    yield started
    started.embedded.stop()


@pytest.fixture
def api(server: Server) -> Api:
    """The admin (a superuser) on the shared server."""
    return server.api("admin")


@pytest.fixture
def bob(server: Server) -> Api:
    """Bob, an ordinary user, on the shared server."""
    return server.api("bob")


@dataclass
class Setup:
    """An executable task type running :data:`JOBSCRIPT`, a whitelist and a queue for it."""

    task_type: dict[str, Any]
    whitelist: dict[str, Any]
    queue: dict[str, Any]

    def job(
        self, api: Api, arguments: dict[str, Any] | None = None, name: str = ""
    ) -> dict[str, Any]:
        """Create an instance of the task type on the queue."""
        return api.created(
            "executabletaskinstances/",
            {
                "name": name,
                "task_type": self.task_type["id"],
                "task_queue": self.queue["id"],
                "arguments": arguments or {},
            },
        )


def provision(api: Api, command: str | None = None, **type_fields: Any) -> Setup:
    """Create a task type (default: the job script), a whitelist and a queue as ``api``'s user."""
    task_type = api.created(
        "executabletasktypes/",
        {
            "name": unique("type"),
            "command_to_run": command or f"{PYTHON} {JOBSCRIPT}",
            **type_fields,
        },
    )
    whitelist = api.created(
        "taskwhitelists/",
        {"name": unique("wl"), "whitelisted_executable_task_types": [task_type["id"]]},
    )
    queue = api.created("taskqueues/", {"name": unique("q"), "whitelists": [whitelist["id"]]})
    return Setup(task_type, whitelist, queue)


@pytest.fixture
def setup(api: Api) -> Setup:
    """A fresh task type, whitelist and queue owned by the admin."""
    return provision(api)
