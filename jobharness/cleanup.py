"""Tracking the jobs a test started, so that nothing is left running when it ends.

The Robot listener and the pytest fixtures both keep a :class:`JobTracker`
with nested scopes (suite, then test). Ending a scope cancels every job
started in it that is not finished, also after a failure, a timeout or
Ctrl-C, and reports what it did.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jobharness.choices import Choice
from jobharness.errors import JobHarnessError
from jobharness.jobs import Job


class CleanupPolicy(Choice):
    """When unfinished jobs are cancelled: at the end of each test, of each suite, or never."""

    TEST = "test"
    SUITE = "suite"
    NEVER = "never"

    @classmethod
    def _label(cls) -> str:
        return "cleanup"


@dataclass
class CleanupReport:
    """What ending a scope did: jobs cancelled, and jobs whose cancel failed (with why)."""

    cancelled: list[Job] = field(default_factory=list)
    failed: list[tuple[Job, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        """One line per job, for a log or a test report."""
        out = [f"cancelled leftover {job.summary()}" for job in self.cancelled]
        out += [f"could not cancel {job.summary()}: {why}" for job, why in self.failed]
        return out


class JobTracker:
    """Remembers started jobs per scope and cancels the unfinished ones when a scope ends."""

    def __init__(self) -> None:
        self._scopes: list[list[Job]] = [[]]

    def push_scope(self) -> None:
        """Open a nested scope (a suite, then a test)."""
        self._scopes.append([])

    def track(self, job: Job) -> Job:
        """Remember ``job`` in the innermost scope; return it."""
        self._scopes[-1].append(job)
        return job

    def jobs(self) -> list[Job]:
        """Every tracked job, outermost scope first."""
        return [job for scope in self._scopes for job in scope]

    def current(self) -> list[Job]:
        """The jobs of the innermost scope."""
        return list(self._scopes[-1])

    def pop_scope(self, cancel: bool = True) -> CleanupReport:
        """Close the innermost scope; cancel its unfinished jobs unless ``cancel`` is false.

        With ``cancel`` false the jobs move to the enclosing scope, so a
        suite-level policy still reaches them.
        """
        jobs = self._scopes.pop() if len(self._scopes) > 1 else self._take_root()
        if not cancel:
            self._scopes[-1].extend(jobs)
            return CleanupReport()
        return cancel_unfinished(jobs)

    def _take_root(self) -> list[Job]:
        jobs, self._scopes[0] = self._scopes[0], []
        return jobs

    def cancel_all(self) -> CleanupReport:
        """Cancel every unfinished tracked job in every scope and forget them."""
        jobs = self.jobs()
        self._scopes = [[]]
        return cancel_unfinished(jobs)


def cancel_unfinished(jobs: list[Job]) -> CleanupReport:
    """Cancel each job that is not final; never raise, report failures instead."""
    report = CleanupReport()
    for job in jobs:
        try:
            if job.done or job.refresh().is_final:
                continue
            if job.cancel():
                report.cancelled.append(job)
            elif not job.refresh().is_final:
                report.failed.append((job, "the server did not accept the cancel"))
        except JobHarnessError as exc:
            report.failed.append((job, str(exc)))
    return report
