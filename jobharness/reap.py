"""Reaping: cancel what a crashed or killed run left on the configured servers.

Every backend answers the ``jobharness_reap`` hook (see :mod:`jobharness.plugins`)
with a :class:`ReapReport`: how many jobs of the run it found, how many it
cancelled, how many had already finished, and the errors it met. A backend
whose server cannot list jobs says so (``supported=False``), and a backend
with no configured server has nothing to reap: embedded servers die with
their run.

:func:`reap` asks every registered plugin, built-in or third-party alike;
the CLI (``jobharness reap``), the ``Reap Run`` keyword and the pytest option
``--jobharness-reap`` are thin callers of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pluggy

from jobharness.deadline import Deadline, bounded
from jobharness.errors import JobHarnessError
from jobharness.redaction import redact_url
from jobharness.runid import check_run_id
from jobharness.settings import Resolved, Setting, resolve

if TYPE_CHECKING:
    from jobharness.targets import Target, TargetSpec

Lookup = Callable[[Setting], Resolved]
"""How a caller resolves a setting it has no explicit value for (env, ini, Robot variable)."""

DEFAULT_REAP_TIMEOUT = 60.0


def environment_lookup(setting: Setting) -> Resolved:
    """Resolve ``setting`` from the environment alone (else its default): the CLI's lookup."""
    return resolve(setting)


@dataclass
class ReapReport:
    """What reaping one run found on one backend."""

    backend: str
    where: str = ""
    found: int = 0
    cancelled: int = 0
    finished: int = 0
    errors: list[str] = field(default_factory=list)
    supported: bool = True
    configured: bool = True
    note: str = ""

    def line(self) -> str:
        """One line for a console, a log or a report."""
        where = f" ({redact_url(self.where)})" if self.where else ""
        if not self.configured:
            return f"{self.backend}: nothing to reap: {self.note}"
        if not self.supported:
            return f"{self.backend}{where}: cannot reap: {self.note}"
        text = (
            f"{self.backend}{where}: found {self.found}, cancelled {self.cancelled}, "
            f"already finished {self.finished}, errors {len(self.errors)}"
        )
        if self.note:
            text += f"; {self.note}"
        return text

    def add_error(self, what: str, error: BaseException) -> None:
        """Record that ``what`` failed with ``error`` (its message, never a traceback)."""
        self.errors.append(f"{what}: {error}")


def unsupported(backend: str, why: str) -> ReapReport:
    """The report of a backend that cannot list (or cancel) a run's jobs, saying why."""
    return ReapReport(backend, supported=False, note=why)


def not_configured(backend: str, settings: Iterable[Setting]) -> ReapReport:
    """The report of a backend with no configured server: nothing to reap."""
    names = "/".join(setting.name for setting in settings)
    return ReapReport(
        backend,
        configured=False,
        note=f"no server configured ({names} unset); an embedded server dies with its run",
    )


@dataclass
class ReapResult:
    """Every backend's report of one reap."""

    run_id: str
    reports: list[ReapReport]

    @property
    def ok(self) -> bool:
        """True when no backend met an error."""
        return not any(report.errors for report in self.reports)

    @property
    def cancelled(self) -> int:
        """Jobs cancelled on all backends together."""
        return sum(report.cancelled for report in self.reports)

    def lines(self) -> list[str]:
        """A heading, one line per backend, then one line per error."""
        out = [f"reaping run {self.run_id}:"]
        for report in self.reports:
            out.append(f"  {report.line()}")
            out.extend(f"    error: {error}" for error in report.errors)
        return out

    def report(self, backend: str) -> ReapReport:
        """The report of ``backend``; KeyError if it did not answer."""
        for report in self.reports:
            if report.backend == backend:
                return report
        raise KeyError(backend)


def reap(
    run_id: str,
    lookup: Lookup = environment_lookup,
    timeout: float = DEFAULT_REAP_TIMEOUT,
    manager: pluggy.PluginManager | None = None,
) -> ReapResult:
    """Cancel the unfinished jobs of ``run_id`` on every configured backend; say what was found.

    ``lookup`` resolves each backend's settings (the adapters pass theirs);
    ``timeout`` bounds each backend's work (it is the current deadline
    while the backend's hook runs, so requests made through jobharness's
    transport end with it). A backend that fails outright is
    reported with its error; the others are reaped all the same.
    """
    from jobharness.plugins import plugin_manager

    run_id = check_run_id(run_id, "reap")
    manager = manager or plugin_manager()
    reports: list[ReapReport] = []
    given = {"run_id": run_id, "lookup": lookup, "timeout": timeout}
    for impl in manager.hook.jobharness_reap.get_hookimpls():
        reports.extend(_ask(impl, given))
    return ReapResult(run_id, reports)


def _ask(impl: pluggy.HookImpl, given: dict[str, object]) -> list[ReapReport]:
    """One plugin's reports; a plugin that fails (or answers nonsense) is one error report.

    Reaping goes on with the other backends whatever one of them does.
    """
    name = impl.plugin_name
    failed = ReapReport(name.split(".")[-2] if name.endswith(".plugin") else name)
    try:
        with bounded(Deadline(given["timeout"], "reap timeout")):
            answer = impl.function(**{arg: given[arg] for arg in impl.argnames})
    except Exception as exc:  # a third-party plugin may raise anything
        shown = exc if isinstance(exc, JobHarnessError) else f"{type(exc).__name__}: {exc}"
        failed.errors.append(f"reaping: {shown}")
        return [failed]
    answers = list(answer) if isinstance(answer, (list, tuple)) else [answer]
    reports = [report for report in answers if isinstance(report, ReapReport)]
    if answer is None or len(reports) != len(answers):
        failed.errors.append(f"reaping: the plugin answered {answer!r:.200}, not ReapReports")
        return [failed]
    return reports


def configured_target(spec: TargetSpec, lookup: Lookup) -> Target | None:
    """The server ``spec``'s settings name (resolved with ``lookup``), or None if none is set."""
    from jobharness.targets import Target

    info = spec.configured(spec.resolve(lookup))
    return None if info is None else Target(spec, info, "configured")


def cannot_list(spec: TargetSpec, lookup: Lookup, why: str) -> ReapReport:
    """The report of a backend whose server cannot list a run's jobs (or has none configured)."""
    if configured_target(spec, lookup) is None:
        return not_configured(spec.backend, spec.settings[:1])
    return unsupported(spec.backend, why)
