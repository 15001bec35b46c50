"""pluggy hook specifications; the built-in backends register like third-party ones.

A plugin is a module (or object) with ``@hookimpl`` functions. Third-party
plugins are found through the ``jobharness`` entry-point group.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from dataclasses import dataclass

import pluggy

PROJECT = "jobharness"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

# Modules that provide the built-in backends' hooks, in the order they are listed.
BUILTIN_PLUGINS: tuple[str, ...] = (
    # each backend adds its line here, e.g. "jobharness.servers.sandbox",
    "jobharness.servers.densefog",
    "jobharness.servers.harp",
    "jobharness.servers.harpd",
    "jobharness.servers.sandbox",
    "jobharness.servers.saltant",
    "jobharness.servers.sshd",
)


@dataclass(frozen=True)
class ServerSpec:
    """An embedded server that ``jobharness serve <name>`` can start.

    ``add_arguments`` adds the server's own options (the common ``--host``,
    ``--port``, ``--ready-file`` are added for it); ``run`` serves until stopped
    and returns the exit status.
    """

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


class HookSpecs:
    """The hooks a jobharness plugin can implement."""

    @hookspec
    def jobharness_servers(self) -> list[ServerSpec]:  # type: ignore[empty-body]
        """Return the embedded servers this plugin provides."""


def plugin_manager() -> pluggy.PluginManager:
    """A plugin manager with the built-in backends and the installed third-party plugins."""
    manager = pluggy.PluginManager(PROJECT)
    manager.add_hookspecs(HookSpecs)
    for name in BUILTIN_PLUGINS:
        manager.register(importlib.import_module(name), name)
    manager.load_setuptools_entrypoints(PROJECT)
    return manager


def servers(manager: pluggy.PluginManager | None = None) -> dict[str, ServerSpec]:
    """Every registered embedded server by name."""
    manager = manager or plugin_manager()
    found: dict[str, ServerSpec] = {}
    for specs in manager.hook.jobharness_servers():
        for spec in specs:
            found.setdefault(spec.name, spec)
    return found
