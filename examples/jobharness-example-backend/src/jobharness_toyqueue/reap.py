"""Reaping a run's toyqueue jobs: list them by name, cancel the running ones."""

from __future__ import annotations

from jobharness.errors import JobHarnessError
from jobharness.reap import Lookup, ReapReport, configured_target, not_configured
from jobharness.runid import carries_run_id
from jobharness_toyqueue.client import ToyQueueClient
from jobharness_toyqueue.target import TOYQUEUE_TARGET


def reap_toyqueue(run_id: str, lookup: Lookup, timeout: float) -> ReapReport:
    """Cancel the running jobs of ``run_id`` on the configured toyqueue server."""
    target = configured_target(TOYQUEUE_TARGET, lookup)
    if target is None:
        return not_configured("toyqueue", TOYQUEUE_TARGET.settings)
    report = ReapReport("toyqueue", where=target.url)
    client = ToyQueueClient(target.url, request_timeout=min(timeout, 10.0))
    try:
        found = [job for job in client.jobs(f"{run_id}/") if carries_run_id(job["name"], run_id)]
        for job in found:
            report.found += 1
            if job["state"] != "running":
                report.finished += 1
                continue
            try:
                client.call("POST", f"/jobs/{job['id']}/cancel")
                report.cancelled += 1
            except JobHarnessError as exc:
                report.add_error(f"cancelling job {job['id']}", exc)
    except JobHarnessError as exc:
        report.add_error("listing jobs", exc)
    finally:
        client.close()
    return report
