"""Where the saltant clients go: the configured API with its token, or an embedded server.

The embedded server makes its own admin token and announces it (with its
worker's log directory) in its ready file, so no token is ever put on a
command line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from jobharness.backends.saltant.client import SaltantClient
from jobharness.backends.saltant.settings import SALTANT_LOGS_DIR, SALTANT_TOKEN, SALTANT_URL
from jobharness.errors import ConfigurationError
from jobharness.targets import Service, Settings, StartContext, Target, TargetSpec


def _configured(settings: Settings) -> dict[str, Any] | None:
    url = settings[SALTANT_URL.name]
    if url.value is None:
        return None
    token = settings[SALTANT_TOKEN.name].value
    if not token:
        raise ConfigurationError(
            f"saltant URL {url.value} ({url.source}) needs a token: "
            f"{SALTANT_TOKEN.cli_option}, {' or '.join(SALTANT_TOKEN.env)}, "
            "ini saltant_token, or the ${SALTANT_TOKEN} Robot variable"
        )
    return {"url": url.value, "token": token, "logs_dir": settings[SALTANT_LOGS_DIR.name].value}


def _server_args(context: StartContext) -> list[str]:
    """Its data in the target's directory; ``faults`` (an option) are test-only races."""
    args = ["--data-dir", str(context.workdir / "saltant-data")]
    for fault in context.options.get("faults", ()):
        args += ["--fault", fault]
    return args


def _embedded(infos: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    info = infos[-1]
    return {"url": info["url"], "token": info["token"], "logs_dir": info.get("logs_dir")}


SALTANT_TARGET = TargetSpec(
    backend="saltant",
    settings=(SALTANT_URL, SALTANT_TOKEN, SALTANT_LOGS_DIR),
    configured=_configured,
    services=(Service("saltant", _server_args),),
    embedded=_embedded,
    secrets=("token",),
)
"""saltant's target: ``saltant_url`` with ``saltant_token`` (and ``saltant_logs_dir`` for job
output), else ``jobharness serve saltant``."""


def saltant_client(target: Target, **options: Any) -> SaltantClient:
    """A :class:`SaltantClient` for ``target``, with its worker's log directory when known."""
    options.setdefault("logs_dir", target.info.get("logs_dir"))
    return SaltantClient(target.url, target.info["token"], **options)
