"""harp's jobharness plugin: the backend's parts, and why it cannot reap."""

from __future__ import annotations

from jobharness.backends.harp.job import RemoteCall
from jobharness.backends.harp.target import HARP_TARGET, HarpTargets
from jobharness.plugins import BackendSpec, hookimpl
from jobharness.reap import Lookup, ReapReport, cannot_list


@hookimpl
def jobharness_backends() -> list[BackendSpec]:
    """harp: calls through a HarpCaller dispatcher, or direct to a harpd."""
    return [
        BackendSpec(
            "harp",
            HARP_TARGET,
            HarpTargets,
            RemoteCall,
            "robotlib.HarpLibrary",
            "pytest_plugin.harp",
        )
    ]


@hookimpl
def jobharness_reap(run_id: str, lookup: Lookup, timeout: float) -> list[ReapReport]:
    """The dispatcher protocol lists no jobs: say so."""
    why = (
        "the dispatcher protocol has no job list (harpcallerd lists jobs only on its local "
        "admin socket); each call carries the run id in its info's caller"
    )
    return [cannot_list(HARP_TARGET, lookup, why)]
