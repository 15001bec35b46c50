"""Where toyqueue clients go: ``toyqueue_url``, else an embedded ``jobharness serve toyqueue``."""

from __future__ import annotations

from typing import Any

from jobharness.settings import Setting
from jobharness.targets import Service, Settings, TargetSpec

TOYQUEUE_URL = Setting(
    "toyqueue_url",
    "URL of the toyqueue server to use (default: start an embedded one)",
    env=("JOBHARNESS_TOYQUEUE_URL",),
)


def _configured(settings: Settings) -> dict[str, Any] | None:
    url = settings[TOYQUEUE_URL.name].value
    return None if url is None else {"url": url.rstrip("/")}


TOYQUEUE_TARGET = TargetSpec(
    backend="toyqueue",
    settings=(TOYQUEUE_URL,),
    configured=_configured,
    services=(Service("toyqueue"),),
)
"""toyqueue's target: the configured server, or one started for the run."""
