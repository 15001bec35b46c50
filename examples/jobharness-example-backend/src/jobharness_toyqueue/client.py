"""The toyqueue client: start, list, get and cancel jobs; every failure a jobharness error."""

from __future__ import annotations

from typing import Any

import requests

from jobharness.errors import ProtocolError, ServerError, ServerUnreachable
from jobharness.targets import Target
from jobharness_toyqueue.job import ToyJob


class ToyQueueClient:
    """A client of one toyqueue server at ``url``."""

    def __init__(self, url: str, request_timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.request_timeout = request_timeout
        self.session = requests.Session()

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send one request; return the decoded JSON answer."""
        url = f"{self.url}{path}"
        try:
            response = self.session.request(method, url, timeout=self.request_timeout, **kwargs)
        except requests.RequestException as exc:
            raise ServerUnreachable(f"{method} {url}: {exc}") from None
        if response.status_code >= 400:
            raise ServerError(f"{method} {url} -> {response.status_code}: {response.text[:200]}")
        try:
            return response.json()
        except ValueError:
            raise ProtocolError(f"{method} {url}: not JSON: {response.text[:200]!r}") from None

    def start(self, argv: list[str], name: str = "") -> ToyJob:
        """Start ``argv`` as a job named ``name``."""
        return ToyJob(self, self.call("POST", "/jobs", json={"name": name, "argv": argv}))

    def jobs(self, name_contains: str = "") -> list[dict[str, Any]]:
        """The jobs whose names contain ``name_contains``, as the server shows them."""
        found = self.call("GET", "/jobs", params={"name_contains": name_contains})
        if not isinstance(found, list):
            raise ProtocolError(f"GET {self.url}/jobs: expected a list, got {found!r:.200}")
        return found

    def close(self) -> None:
        """Close the HTTP session."""
        self.session.close()


def toyqueue_client(target: Target) -> ToyQueueClient:
    """A client for ``target`` (the BackendSpec's client factory)."""
    return ToyQueueClient(target.url)
