"""Fixtures of the embedded sandbox server tests: real servers on 127.0.0.1 and archive helpers.

Each xdist worker starts its own servers (ephemeral ports, own work directories).
"""

from __future__ import annotations

import io
import json
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from jobharness.servers.base import EmbeddedServer


@dataclass(frozen=True)
class Target:
    """A running embedded server: its URL and its stored-environment directory."""

    url: str
    environments: Path

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        """GET ``path`` (relative to the root, e.g. ``specifications/``)."""
        return requests.get(f"{self.url}/{path}", timeout=30, **kwargs)

    def execute(
        self, config: Any, archive: bytes | None = None, *, raw: bool = False
    ) -> requests.Response:
        """POST ``config`` (JSON-encoded unless ``raw``) with an optional environment archive."""
        data = {"config": config if raw else json.dumps(config)}
        files = {"environment": ("env.tgz", archive)} if archive is not None else None
        return requests.post(f"{self.url}/execute/", data=data, files=files, timeout=60)

    def run(self, config: Any, archive: bytes | None = None) -> dict[str, Any]:
        """Execute and return the 200 JSON body (fails the test on another status)."""
        response = self.execute(config, archive)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


def _start(args: list[str]) -> tuple[EmbeddedServer, Target]:
    server = EmbeddedServer("sandbox", args=args).start()
    return server, Target(server.url, Path(server.info["environments_dir"]))


@pytest.fixture(scope="session")
def sandbox_target() -> Iterator[Target]:
    """The default server, with a fast /usages/ sampling."""
    server, target = _start(["--usage-interval", "0.1"])
    yield target
    server.stop()


@pytest.fixture(scope="session")
def runserver_target() -> Iterator[Target]:
    """A server that answers as the real one under Django's runserver (``--runserver``)."""
    server, target = _start(["--runserver", "--usage-interval", "0.1"])
    yield target
    server.stop()


@pytest.fixture(scope="session")
def tight_target() -> Iterator[Target]:
    """A server with one slot, short waits and short timeouts (503 and timeout cases)."""
    server, target = _start(
        [
            "--containers",
            "1",
            "--wait-for-container",
            "0.3",
            "--execute-timeout",
            "1",
            "--hard-timeout",
            "1.5",
            "--usage-interval",
            "0.1",
        ]
    )
    yield target
    server.stop()


class Kit:
    """Archive and process helpers for the tests (a fixture, since test modules cannot import
    the conftest)."""

    @staticmethod
    def make_tgz(members: dict[str, bytes | None], mode: str = "w:gz") -> bytes:
        """A tar archive of ``members`` (name: content, None for a directory)."""
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode=mode) as tar:
            for name, content in members.items():
                info = tarfile.TarInfo(name)
                info.mtime = int(time.time())
                if content is None:
                    info.type, info.mode = tarfile.DIRTYPE, 0o755
                    tar.addfile(info)
                else:
                    info.size, info.mode = len(content), 0o644
                    tar.addfile(info, io.BytesIO(content))
        return buffer.getvalue()

    @staticmethod
    def tgz_with(info: tarfile.TarInfo, data: bytes = b"") -> bytes:
        """A gzip tar holding one crafted member (link, device, odd path)."""
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data else None)
        return buffer.getvalue()

    @staticmethod
    def tgz_names(blob: bytes) -> dict[str, bytes | None]:
        """The members of a gzip tar: name to content (None for a directory)."""
        found: dict[str, bytes | None] = {}
        with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
            for info in tar.getmembers():
                extracted = tar.extractfile(info) if info.isreg() else None
                found[info.name] = extracted.read() if extracted else None
        return found

    @staticmethod
    def alive(pid: int) -> bool:
        """True while ``pid`` exists and is not a zombie."""
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        return stat.rpartition(")")[2].split()[0] not in {"Z", "X"}


@pytest.fixture(scope="session")
def kit() -> type[Kit]:
    """The helpers."""
    return Kit
