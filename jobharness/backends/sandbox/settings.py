"""The sandbox's settings, shared by the Robot library and the pytest plugin."""

from __future__ import annotations

from jobharness.settings import Setting

SANDBOX_URL = Setting(
    "sandbox_url",
    "base URL of the sandbox server to use (default: start an embedded one)",
    env=("JOBHARNESS_SANDBOX_URL",),
)
