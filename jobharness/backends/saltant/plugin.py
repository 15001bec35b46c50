"""saltant's jobharness plugin: the backend's parts and its reaper, through the hooks."""

from __future__ import annotations

from jobharness.backends.saltant.job import SaltantJob
from jobharness.backends.saltant.reap import reap_saltant
from jobharness.backends.saltant.target import SALTANT_TARGET, saltant_client
from jobharness.plugins import BackendSpec, hookimpl
from jobharness.reap import Lookup, ReapReport


@hookimpl
def jobharness_backends() -> list[BackendSpec]:
    """saltant: task instances on a REST job queue."""
    return [
        BackendSpec(
            "saltant",
            SALTANT_TARGET,
            saltant_client,
            SaltantJob,
            "robotlib.SaltantLibrary",
            "pytest_plugin.saltant",
        )
    ]


@hookimpl
def jobharness_reap(run_id: str, lookup: Lookup, timeout: float) -> list[ReapReport]:
    """Terminate the run's unfinished task instances, found by name."""
    return [reap_saltant(run_id, lookup, timeout)]
