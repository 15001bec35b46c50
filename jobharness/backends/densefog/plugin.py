"""densefog's jobharness plugin: the backend's parts, and why it cannot reap."""

from __future__ import annotations

from jobharness.backends.densefog.job import DensefogJob
from jobharness.backends.densefog.target import DENSEFOG_TARGET, densefog_client
from jobharness.plugins import BackendSpec, hookimpl
from jobharness.reap import Lookup, ReapReport, cannot_list


@hookimpl
def jobharness_backends() -> list[BackendSpec]:
    """densefog: action APIs whose jobs are rows of a SQL job table."""
    return [
        BackendSpec(
            "densefog",
            DENSEFOG_TARGET,
            densefog_client,
            DensefogJob,
            "robotlib.DensefogLibrary",
            "pytest_plugin.densefog",
        )
    ]


@hookimpl
def jobharness_reap(run_id: str, lookup: Lookup, timeout: float) -> list[ReapReport]:
    """densefog jobs cannot be cancelled: say so."""
    why = (
        "densefog has no cancel and its jobs carry no caller's name: a job is a row an "
        "action creates and the worker runs to its end; delete the run's resources instead"
    )
    return [cannot_list(DENSEFOG_TARGET, lookup, why)]
