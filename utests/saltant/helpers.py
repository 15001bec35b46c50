"""Helpers of the saltant utests: unique names and a request recorder."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests

SLEEPER = Path(__file__).with_name("sleeper.py")


@dataclass
class Requests:
    """Every request a client sent, as ``(method, url)``."""

    seen: list[tuple[str, str]] = field(default_factory=list)

    def hook(self, response: requests.Response, *args: object, **kwargs: object) -> None:
        """A requests response hook that records the request."""
        self.seen.append((str(response.request.method), str(response.request.url)))

    def count(self, method: str = "GET", contains: str = "") -> int:
        """How many requests of ``method`` whose URL contains ``contains``."""
        return sum(1 for m, url in self.seen if m == method and contains in url)

    def clear(self) -> None:
        """Forget what was recorded."""
        self.seen.clear()


def unique(prefix: str) -> str:
    """A name no other test (or xdist worker) uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"
