"""terminal's jobharness plugin: the backend's parts, and why it has nothing to reap."""

from __future__ import annotations

from jobharness.backends.terminal.job import TerminalJob
from jobharness.backends.terminal.target import TERMINAL_TARGET, terminal_client
from jobharness.plugins import BackendSpec, hookimpl
from jobharness.reap import Lookup, ReapReport, cannot_list


@hookimpl
def jobharness_backends() -> list[BackendSpec]:
    """terminal: commands and shells over ssh, and the remote Python agent."""
    return [
        BackendSpec(
            "terminal",
            TERMINAL_TARGET,
            terminal_client,
            TerminalJob,
            "robotlib.TerminalLibrary",
            "pytest_plugin.terminal",
        )
    ]


@hookimpl
def jobharness_reap(run_id: str, lookup: Lookup, timeout: float) -> list[ReapReport]:
    """A terminal target has no job server to ask: say so."""
    why = (
        "there is no job server to ask: commands run in the ssh sessions of the run "
        "that opened them, and end with those sessions"
    )
    return [cannot_list(TERMINAL_TARGET, lookup, why)]
