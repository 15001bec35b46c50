"""pluggy hook specifications; the built-in backends register like third-party ones.

A plugin is a module (or object) with ``@hookimpl`` functions. Third-party
plugins are found through the ``jobharness`` entry-point group.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from jobharness.jobs import Job
    from jobharness.reap import Lookup, ReapReport
    from jobharness.settings import Setting
    from jobharness.targets import Target, TargetSpec

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
    "jobharness.backends.densefog.plugin",
    "jobharness.backends.harp.plugin",
    "jobharness.backends.saltant.plugin",
    "jobharness.backends.sandbox.plugin",
    "jobharness.backends.terminal.plugin",
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


@dataclass(frozen=True)
class BackendSpec:
    """What a backend is made of, as the adapters and tools need to know it.

    ``target`` carries the backend's settings and how its server is found
    (configured, or embedded servers by their ``serve`` names); ``client``
    turns an opened target into a client; ``job_type`` is the backend's
    :class:`~jobharness.jobs.Job` subclass. ``robot_library`` and
    ``pytest_plugin`` are dotted import paths (``package.module.Class`` and
    ``package.module``), so nothing heavy is imported until a run uses them:
    the jobharness pytest plugin registers a third-party backend's
    ``pytest_plugin`` module, and ``Library    <robot_library>`` imports the
    Robot library, which may be built from jobharness's shared components.
    """

    name: str
    target: TargetSpec
    client: Callable[[Target], Any]
    job_type: type[Job]
    robot_library: str | None = None
    pytest_plugin: str | None = None

    @property
    def settings(self) -> tuple[Setting, ...]:
        """The backend's settings (those of its target)."""
        return self.target.settings


class HookSpecs:
    """The hooks a jobharness plugin can implement."""

    @hookspec
    def jobharness_servers(self) -> list[ServerSpec]:  # type: ignore[empty-body]
        """Return the embedded servers this plugin provides."""

    @hookspec
    def jobharness_backends(self) -> list[BackendSpec]:  # type: ignore[empty-body]
        """Return the backends this plugin provides: settings, target, client, Job type,
        Robot library and pytest fixtures module."""

    @hookspec
    def jobharness_reap(  # type: ignore[empty-body]
        self, run_id: str, lookup: Lookup, timeout: float
    ) -> list[ReapReport]:
        """Cancel the unfinished jobs of ``run_id`` on this plugin's configured servers.

        Resolve the backend's settings with ``lookup``; with no server
        configured return :func:`jobharness.reap.not_configured`, and with a
        server that cannot list jobs :func:`jobharness.reap.unsupported`.
        Spend at most ``timeout`` seconds. Return one report per backend.
        """


def plugin_manager() -> pluggy.PluginManager:
    """A plugin manager with the built-in backends and the installed third-party plugins."""
    manager = pluggy.PluginManager(PROJECT)
    manager.add_hookspecs(HookSpecs)
    for name in BUILTIN_PLUGINS:
        manager.register(importlib.import_module(name), name)
    manager.load_setuptools_entrypoints(PROJECT)
    return manager


def third_party_manager() -> pluggy.PluginManager:
    """A plugin manager with the installed third-party plugins only (cheap: no built-ins)."""
    manager = pluggy.PluginManager(PROJECT)
    manager.add_hookspecs(HookSpecs)
    manager.load_setuptools_entrypoints(PROJECT)
    return manager


def backends(manager: pluggy.PluginManager | None = None) -> dict[str, BackendSpec]:
    """Every registered backend by name (the first registration of a name wins)."""
    manager = manager or plugin_manager()
    found: dict[str, BackendSpec] = {}
    for specs in reversed(manager.hook.jobharness_backends()):
        for spec in specs:
            found.setdefault(spec.name, spec)
    return found


def servers(manager: pluggy.PluginManager | None = None) -> dict[str, ServerSpec]:
    """Every registered embedded server by name."""
    manager = manager or plugin_manager()
    found: dict[str, ServerSpec] = {}
    for specs in manager.hook.jobharness_servers():
        for spec in specs:
            found.setdefault(spec.name, spec)
    return found
