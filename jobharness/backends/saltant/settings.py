"""The saltant settings, shared by the Robot library and the pytest plugin."""

from __future__ import annotations

import secrets

from jobharness.settings import Setting

SALTANT_URL = Setting(
    "saltant_url",
    "API root of the saltant server to use, /api/ optional (default: start an embedded one)",
    env=("JOBHARNESS_SALTANT_URL", "SALTANT_API_URL"),
)
SALTANT_LOGS_DIR = Setting(
    "saltant_logs_dir",
    "the saltant worker's log directory (WORKER_LOGS_DIRECTORY) as seen from here, "
    "for job output (default: none for a server given by URL)",
    env=("JOBHARNESS_SALTANT_LOGS_DIR",),
)
SALTANT_TOKEN = Setting(
    "saltant_token",
    "DRF auth token for the saltant server (required with a saltant URL)",
    env=("JOBHARNESS_SALTANT_TOKEN", "SALTANT_AUTH_TOKEN"),
    secret=True,
)

SALTANT_USERNAME = Setting(
    "saltant_username",
    "log in as this user with saltant_password (JWT) instead of a token; without a saltant "
    "URL the embedded server gets this user",
    env=("JOBHARNESS_SALTANT_USERNAME",),
)
SALTANT_PASSWORD = Setting(
    "saltant_password",
    "password of saltant_username for JWT login",
    env=("JOBHARNESS_SALTANT_PASSWORD",),
    secret=True,
)


def embedded_server_args(token: str | None = None) -> tuple[str, list[str]]:
    """A fresh admin token and the ``jobharness serve saltant`` arguments that set it."""
    token = token or secrets.token_hex(20)
    return token, ["--token", token]
