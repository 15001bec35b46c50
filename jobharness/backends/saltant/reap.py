"""Reaping a run's saltant task instances: find them by name, terminate the unfinished ones.

Job names carry ``<run id>/`` (see :func:`jobharness.runid.job_name`); the
API filters instances by ``name__contains``, and each answer is checked
again here, since a server that ignores a filter returns everything.
"""

from __future__ import annotations

from typing import Any

from jobharness.backends.saltant.managers import TaskInstanceManager
from jobharness.backends.saltant.protocol import FINISHED_STATES
from jobharness.backends.saltant.target import SALTANT_TARGET, saltant_client
from jobharness.deadline import current
from jobharness.errors import JobHarnessError
from jobharness.reap import Lookup, ReapReport, configured_target, not_configured
from jobharness.runid import carries_run_id


def reap_saltant(run_id: str, lookup: Lookup, timeout: float) -> ReapReport:
    """Terminate the unfinished task instances of ``run_id`` on the configured saltant server."""
    target = configured_target(SALTANT_TARGET, lookup)
    if target is None:
        return not_configured("saltant", SALTANT_TARGET.settings[:1])
    report = ReapReport("saltant", where=target.url)
    client = saltant_client(target, default_timeout=min(timeout, 30.0))
    try:
        for manager in (client.executable_task_instances, client.container_task_instances):
            _reap_kind(manager, run_id, report)
    finally:
        client.close()
    return report


def _reap_kind(manager: TaskInstanceManager[Any], run_id: str, report: ReapReport) -> None:
    """Terminate the unfinished instances of one kind whose names carry ``run_id``."""
    try:
        found = [
            instance
            for instance in manager.iter({"name__contains": f"{run_id}/"})
            if carries_run_id(instance.name, run_id)
        ]
    except JobHarnessError as exc:
        report.add_error(f"listing {manager.kind}s", exc)
        return
    deadline = current()
    for instance in found:
        report.found += 1
        if instance.state in FINISHED_STATES:
            report.finished += 1
            continue
        what = f"terminating {manager.kind} {instance.uuid}"
        if deadline is not None and deadline.expired:
            report.errors.append(f"{what}: not tried, the reap timeout ran out")
            continue
        try:
            manager.terminate(instance.uuid)
            report.cancelled += 1
        except JobHarnessError as exc:
            report.add_error(f"terminating {manager.kind} {instance.uuid}", exc)
