"""The job timeline of a test in Robot's log.html, and in Allure results.

Called by the library's listener when a test ends, after the cleanup of its
leftovers, so a job the cleanup cancelled shows how it ended. The timeline is
logged in the test's own log, from the listener's (the test's) thread.
"""

from __future__ import annotations

from collections.abc import Iterable

from robot.api import logger

from jobharness.allure_attach import attach_jobs
from jobharness.jobrecord import REFRESH_TIMEOUT, records_of
from jobharness.timeline import render_fragment, render_outputs


def log_timeline(
    items: Iterable[object], test: str, outcome: str, backend: str, budget: float = REFRESH_TIMEOUT
) -> None:
    """Log the timeline of the jobs among ``items`` (nothing when there are none).

    ``test`` and ``outcome`` (``PASS``, ``FAIL`` ...) name the test for Allure;
    ``budget`` is how long asking the servers for last states and output may take.
    """
    records = records_of(items, refresh_timeout=budget)
    if not records:
        return
    fragment = render_fragment(records, f"{backend} job timeline") + render_outputs(records)
    logger.info(fragment, html=True)
    attach_jobs(test, outcome.lower(), records)
