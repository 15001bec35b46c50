"""sandbox's jobharness plugin: the backend's parts, and why it has nothing to reap."""

from __future__ import annotations

from jobharness.backends.sandbox.job import SandboxJob
from jobharness.backends.sandbox.target import SANDBOX_TARGET, sandbox_client
from jobharness.plugins import BackendSpec, hookimpl
from jobharness.reap import Lookup, ReapReport, cannot_list


@hookimpl
def jobharness_backends() -> list[BackendSpec]:
    """sandbox: commands executed in an uploaded environment."""
    return [
        BackendSpec(
            "sandbox",
            SANDBOX_TARGET,
            sandbox_client,
            SandboxJob,
            "robotlib.SandboxLibrary",
            "pytest_plugin.sandbox",
        )
    ]


@hookimpl
def jobharness_reap(run_id: str, lookup: Lookup, timeout: float) -> list[ReapReport]:
    """The sandbox API lists no executions: say so."""
    why = (
        "the sandbox API has no list of executions; each one lasts a single request "
        "and the server ends it at its own time limit"
    )
    return [cannot_list(SANDBOX_TARGET, lookup, why)]
