"""What the libraries log: bodies at DEBUG (truncated), results as tables, state changes.

Everything is logged from the keyword's own thread, never from a background one. A
wait logs each state change when it sees it (see :mod:`robotlib._core.progress`).
"""

from __future__ import annotations

import html
import weakref
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from robot.api import logger

from jobharness.jobs import Job, JobResult, OnTimeout, WaitMode
from jobharness.redaction import redact
from jobharness.waiting import wait_for
from robotlib._core.conversions import poll_policy, seconds
from robotlib._core.progress import watching

BODY_LIMIT = 2000


def html_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A small HTML table for ``logger.info(..., html=True)``, every cell escaped."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    return f'<table border="1"><tr>{head}</tr>{body}</table>'


def log_body(label: str, text: str, secrets: Iterable[str] = ()) -> None:
    """Log a request or response body at DEBUG, redacted and truncated."""
    text = redact(text, secrets)
    if len(text) > BODY_LIMIT:
        text = text[:BODY_LIMIT] + f"... ({len(text)} characters)"
    logger.debug(f"{label}: {text}")


def log_result(result: JobResult, extra: Iterable[tuple[str, Any]] = ()) -> None:
    """Log a job result as an HTML table at INFO."""
    rows: list[tuple[str, Any]] = [
        ("job", f"{result.backend} {result.job_id}"),
        ("state", result.state.value),
        ("native state", result.native_state),
    ]
    if result.value is not None:
        rows.append(("value", result.value))
    if result.error:
        rows.append(("error", result.error))
    rows.extend(extra)
    logger.info(html_table(("field", "value"), rows), html=True)


class JobLog:
    """Logs each job's state changes once, as they are seen, one line each at INFO.

    A wait calls :meth:`changes` after every poll round that saw a change, so
    the line is logged (and timestamped) when the change was seen.
    """

    def __init__(self) -> None:
        self._logged: weakref.WeakKeyDictionary[Job, int] = weakref.WeakKeyDictionary()

    def changes(self, job: Job) -> None:
        """Log the state changes of ``job`` not logged yet."""
        start = self._logged.get(job, 0)
        for change in job.history[start:]:
            native = (
                f" ({change.native_state})" if change.native_state != change.state.value else ""
            )
            logger.info(f"{job.backend} job {job.id}: {change.state.value}{native}")
        self._logged[job] = len(job.history)


def wait_and_log(
    jobs: Sequence[Job],
    timeout: timedelta | float | None,
    default_timeout: float,
    *,
    job_log: JobLog,
    poll: timedelta | float | None = None,
    on_timeout: OnTimeout | str = OnTimeout.FAIL,
    mode: WaitMode | str = WaitMode.ALL,
    progress: str | None = None,
) -> list[Job]:
    """Wait for ``jobs`` with the engine, logging each state change as the wait sees it.

    The status line on the console follows ``progress`` (see
    :func:`robotlib._core.progress.progress_mode`). What was not logged
    during the wait (a change seen by a cancel at the deadline) is logged
    at its end, also when the wait fails.
    """
    try:
        with watching(job_log, progress):
            return wait_for(
                jobs,
                seconds(timeout, default_timeout),
                mode=mode,
                poll=poll_policy(poll),
                on_timeout=on_timeout,
            )
    finally:
        for job in jobs:
            if isinstance(job, Job):
                job_log.changes(job)
