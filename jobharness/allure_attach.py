"""Attach a test's job timeline, and each failed job's output, to Allure results.

Only when an Allure integration (allure-pytest, allure-robotframework) is
running in this process: it has imported ``allure_commons`` and registered
its listener there. Otherwise nothing is imported and nothing happens.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from jobharness.jobrecord import JobRecord, failed
from jobharness.timeline import Section, render_page


def allure_active() -> bool:
    """True when an Allure integration listens in this process."""
    commons = sys.modules.get("allure_commons")
    if commons is None:
        return False
    manager = getattr(commons, "plugin_manager", None)
    return bool(manager is not None and manager.get_plugins())


def attach_jobs(test: str, outcome: str, records: Sequence[JobRecord]) -> int:
    """Attach the timeline of ``records`` and the output of each failed job; return how many.

    Does nothing (returns 0) without records or without an active Allure integration.
    """
    if not records or not allure_active():
        return 0
    import allure

    page = render_page([Section(test, outcome, tuple(records))], title=f"jobs of {test}")
    allure.attach(page, name="jobharness job timeline", attachment_type=allure.attachment_type.HTML)
    count = 1
    for record in failed(records):
        text = record.output or record.output_error
        if not text:
            continue
        name = f"output of {record.backend} job {record.job_id}"
        if record.name:
            name += f" {record.name}"
        allure.attach(text, name=name, attachment_type=allure.attachment_type.TEXT)
        count += 1
    return count
