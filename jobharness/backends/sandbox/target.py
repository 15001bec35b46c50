"""Where the sandbox clients go: the configured URL, or an embedded sandbox server."""

from __future__ import annotations

from typing import Any

from jobharness.backends.sandbox.client import Sandbox
from jobharness.backends.sandbox.settings import SANDBOX_URL
from jobharness.targets import Service, Settings, Target, TargetSpec


def _configured(settings: Settings) -> dict[str, Any] | None:
    url = settings[SANDBOX_URL.name].value
    return {"url": url} if url else None


SANDBOX_TARGET = TargetSpec(
    backend="sandbox",
    settings=(SANDBOX_URL,),
    configured=_configured,
    services=(Service("sandbox"),),
)
"""The sandbox's target: ``sandbox_url``, else ``jobharness serve sandbox``."""


def sandbox_client(target: Target, **options: Any) -> Sandbox:
    """A :class:`Sandbox` client of ``target`` (``options``: its keyword options)."""
    return Sandbox(target.url, **options)
