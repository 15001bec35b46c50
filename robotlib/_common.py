"""What every jobharness Robot library shares: connections, cleanup, logging, conversions.

A backend library subclasses :class:`BackendLibrary` and decorates itself with
``@library(scope="GLOBAL", listener="SELF")``. The base then

* keeps connections by alias (:class:`robot.utils.ConnectionCache`);
* tracks the jobs the library started, per suite and per test, and cancels
  the unfinished ones when the test or suite ends (policy ``test``,
  ``suite`` or ``never``), also after a failure, a timeout or Ctrl-C;
* starts embedded servers lazily and stops them when Robot closes the library;
* logs one line per job state change at INFO, bodies at DEBUG (truncated)
  and results as an HTML table, always from the keyword's own thread.
"""

from __future__ import annotations

import html
import os
import re
import weakref
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any, ClassVar, Literal

from robot.api import logger
from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError
from robot.utils import ConnectionCache

from jobharness.cleanup import CleanupPolicy, CleanupReport, JobTracker
from jobharness.jobs import Job, JobResult, OnTimeout, PollPolicy, WaitMode, wait_for
from jobharness.servers.base import EmbeddedServer
from jobharness.settings import Resolved, Setting, resolve
from jobharness.transport.redaction import redact

try:  # Robot Framework 7.4 and newer
    from robot.api.types import Secret
except ImportError:  # pragma: no cover - Robot before 7.4 has no Secret type
    Secret = str  # type: ignore[misc, assignment, unused-ignore]

BODY_LIMIT = 2000

#: The ``on_timeout`` choices of every wait keyword (``terminate`` is ``cancel``).
OnTimeoutName = Literal["fail", "cancel", "terminate", "continue"]


def seconds(value: timedelta | float | str | None, default: float) -> float:
    """Seconds from a ``timedelta`` (Robot converts ``1 min 30 s``), a number, or the default."""
    if value is None or value == "":
        return default
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)


def secret_text(value: Any) -> str | None:
    """The plain text of a Robot ``Secret`` (or of a plain string); ``None`` stays ``None``."""
    if value is None:
        return None
    if Secret is not str and isinstance(value, Secret):
        return str(value.value)
    return str(value)


def robot_variable(name: str) -> Any:
    """The value of the Robot variable ``name`` (``${NAME}``), or None outside a run or if unset."""
    try:
        return BuiltIn().get_variable_value(name)
    except RobotNotRunningError:
        return None


def robot_setting(setting: Setting, explicit: Any = None) -> Resolved:
    """Resolve ``setting``: argument > environment > Robot variable > default.

    The Robot variable is the setting's name in upper case (``${SANDBOX_URL}``
    for ``sandbox_url``); a ``Secret`` in it is unwrapped, never logged.
    """
    variable = "${" + setting.name.upper() + "}"
    configured = robot_variable(variable)
    if setting.secret:
        explicit, configured = secret_text(explicit), secret_text(configured)
    return resolve(setting, explicit, configured, configured_source=f"Robot variable {variable}")


def poll_policy(poll: timedelta | float | None) -> PollPolicy | None:
    """An adaptive policy whose longest interval is ``poll``; ``None`` keeps the job's default."""
    if poll is None:
        return None
    cap = seconds(poll, 1.0)
    return PollPolicy(initial=min(0.05, cap), maximum=cap, slice=min(0.05, cap))


def caller_id(limit: int = 80) -> str:
    """An id naming this Robot process and test, so parallel (pabot) runs' jobs differ."""
    try:
        variables = BuiltIn().get_variables()
        pool = variables.get("${PABOTEXECUTIONPOOLID}") or str(os.getpid())
        name = variables.get("${TEST NAME}") or variables.get("${SUITE NAME}") or ""
    except RobotNotRunningError:
        pool, name = str(os.getpid()), ""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", str(name)).strip("-")
    return f"robot-{pool}-{slug}"[:limit]


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
    """Logs each job's state changes once, as they are seen, one line each at INFO."""

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
) -> list[Job]:
    """Wait for ``jobs`` with the engine and log their state changes, also when the wait fails."""
    try:
        return wait_for(
            jobs,
            seconds(timeout, default_timeout),
            mode=mode,
            poll=poll_policy(poll),
            on_timeout=on_timeout,
        )
    finally:
        for job in jobs:
            job_log.changes(job)


class BackendLibrary:
    """Base of the backend libraries: connections by alias, job cleanup, embedded servers.

    ``cleanup`` says when the jobs a test started and left unfinished are
    cancelled: at the end of the ``test`` (default), of the ``suite``, or ``never``.
    ``timeout`` is the default for every wait.
    """

    ROBOT_LISTENER_API_VERSION = 3
    backend: ClassVar[str] = "job"

    def __init__(
        self, cleanup: CleanupPolicy | str = CleanupPolicy.TEST, timeout: timedelta | float = 60.0
    ) -> None:
        self.cleanup_policy = CleanupPolicy.parse(cleanup)
        self.default_timeout = seconds(timeout, 60.0)
        self.connections = ConnectionCache(f"No open {self.backend} connection.")
        self.tracker = JobTracker()
        self.job_log = JobLog()
        self._servers: dict[str, EmbeddedServer] = {}

    # -- listener (v3) -------------------------------------------------------------------

    def start_suite(self, data: Any, result: Any) -> None:
        """Listener: open a cleanup scope for the suite."""
        self.tracker.push_scope()

    def end_suite(self, data: Any, result: Any) -> None:
        """Listener: cancel the suite's unfinished jobs unless the policy is ``never``."""
        self._report(self.tracker.pop_scope(cancel=self.cleanup_policy is not CleanupPolicy.NEVER))

    def start_test(self, data: Any, result: Any) -> None:
        """Listener: open a cleanup scope for the test."""
        self.tracker.push_scope()

    def end_test(self, data: Any, result: Any) -> None:
        """Listener: cancel the test's unfinished jobs when the policy is ``test``."""
        self._report(self.tracker.pop_scope(cancel=self.cleanup_policy is CleanupPolicy.TEST))

    def close(self) -> None:
        """Listener: cancel every job still running, close connections, stop embedded servers."""
        if self.cleanup_policy is not CleanupPolicy.NEVER:
            self._report(self.tracker.cancel_all())
        self.connections.close_all(closer_method="close")
        for server in self._servers.values():
            server.stop()
        self._servers.clear()

    def _report(self, report: CleanupReport) -> None:
        for job in report.cancelled:
            logger.info(f"cancelled leftover {job.summary()}")
        for job, why in report.failed:
            logger.warn(f"could not cancel {job.summary()}: {why}")

    # -- helpers for the backend libraries -----------------------------------------------

    def embedded_server(self, name: str | None = None, args: Sequence[str] = ()) -> EmbeddedServer:
        """The embedded server ``name`` (default: this backend), started on first use."""
        name = name or self.backend
        server = self._servers.get(name)
        if server is None:
            server = EmbeddedServer(name, args).start()
            self._servers[name] = server
            logger.info(f"started embedded {name} server at {server.url}")
        return server

    def track(self, job: Job) -> Job:
        """Remember ``job`` for cleanup and log its state."""
        self.tracker.track(job)
        self.job_log.changes(job)
        return job
