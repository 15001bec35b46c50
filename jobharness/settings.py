"""Settings resolution shared by the Robot libraries and the pytest plugin.

Precedence is always: explicit argument (keyword argument, CLI option) >
environment variable > ini option or Robot variable > default. The adapters
only supply the values they can see; the order lives here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jobharness.redaction import MASK, redact


@dataclass(frozen=True)
class Setting:
    """One configurable value: its name, where it can come from and its default.

    ``name`` is the ini option name (``sandbox_url``); the CLI option is
    ``--`` plus the name with dashes; ``env`` lists environment variables in
    order of preference. ``secret`` values are never shown in full.
    """

    name: str
    help: str
    env: tuple[str, ...] = ()
    default: str | None = None
    secret: bool = False

    @property
    def cli_option(self) -> str:
        """The command-line spelling of this setting (``--sandbox-url``)."""
        return "--" + self.name.replace("_", "-")


@dataclass(frozen=True)
class Resolved:
    """A resolved setting value and the place it came from."""

    setting: Setting
    value: str | None
    source: str

    def describe(self) -> str:
        """A short text for report headers and logs, secrets (and URL credentials) masked."""
        if self.value is None:
            return f"{self.setting.name}: unset ({self.source})"
        shown = MASK if self.setting.secret else redact(self.value)
        return f"{self.setting.name}: {shown} ({self.source})"


def resolve(
    setting: Setting,
    explicit: Any = None,
    configured: Any = None,
    environ: Mapping[str, str] | None = None,
    configured_source: str = "ini",
) -> Resolved:
    """Resolve ``setting`` from an explicit value, the environment, a configured value, the default.

    Empty strings count as unset, so ``--sandbox-url=`` falls through to the next source.
    """
    env = os.environ if environ is None else environ
    if explicit not in (None, ""):
        return Resolved(setting, str(explicit), "argument")
    for name in setting.env:
        if env.get(name):
            return Resolved(setting, env[name], f"env {name}")
    if configured not in (None, ""):
        return Resolved(setting, str(configured), configured_source)
    return Resolved(setting, setting.default, "default")
