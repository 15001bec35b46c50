"""Third-party backends in pytest: their settings become options, their fixtures are loaded.

A backend installed with a ``jobharness`` entry point names its pytest
fixtures module in its :class:`~jobharness.plugins.BackendSpec`; this plugin
registers that module and declares the backend's settings (CLI option, ini
option, environment variables) as the built-in backends' are declared.
Only the entry points are loaded: the built-in backends cost nothing here.
"""

from __future__ import annotations

import pytest

from jobharness.plugins import BackendSpec, backends, third_party_manager
from pytest_plugin._common import add_setting


def third_party_backends() -> list[BackendSpec]:
    """The backends of the installed third-party plugins."""
    try:
        return list(backends(third_party_manager()).values())
    except Exception as exc:  # a broken plugin: say which, not a stray traceback
        raise pytest.UsageError(f"a jobharness plugin failed to load: {exc!r}") from exc


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    """Register each third-party backend's fixtures module."""
    for spec in third_party_backends():
        if spec.pytest_plugin:
            pluginmanager.import_plugin(spec.pytest_plugin)


def pytest_addoption(parser: pytest.Parser) -> None:
    """Declare each third-party backend's settings."""
    for spec in third_party_backends():
        for setting in spec.settings:
            add_setting(parser, setting)
