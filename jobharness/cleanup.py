"""Cleaning up what a test started, so that nothing is left running when it ends.

Anything a test starts or makes can be tracked, as long as it speaks the
small :class:`Cleanable` protocol: a one-line summary and a cleanup action.
Jobs are cancelled, sessions closed, remote handles released, created
resources deleted; :class:`Resource` wraps any other cleanup in a callable.

The Robot listener and the pytest fixtures both keep a :class:`CleanupTracker`
with nested scopes (suite, then test). Ending a scope cleans up everything
tracked in it, also after a failure, a timeout or Ctrl-C, and reports what it
did. A cleanup has a deadline of its own (:data:`CLEANUP_TIMEOUT`): every
request it makes ends by it, so a frozen server cannot hold a teardown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from jobharness.choices import Choice
from jobharness.deadline import Deadline, bounded
from jobharness.errors import ConfigurationError, JobHarnessError
from jobharness.jobs import Job

CLEANUP_TIMEOUT = 10.0
"""Seconds one cleanup (the end of a test, a suite or a run) may take, all requests included."""

_PAST = {"cancel": "cancelled", "close": "closed", "delete": "deleted", "kill": "killed"}


def past_tense(action: str) -> str:
    """``cancelled`` for ``cancel``: how a report says an action was done."""
    return _PAST.get(action, action + "d" if action.endswith("e") else action + "ed")


class CleanupPolicy(Choice):
    """When leftovers are cleaned up: at the end of each test, of each suite, or never."""

    TEST = "test"
    SUITE = "suite"
    NEVER = "never"

    @classmethod
    def _label(cls) -> str:
        return "cleanup"


@runtime_checkable
class Cleanable(Protocol):
    """Something a test started or made that must not outlive it."""

    @property
    def cleanup_action(self) -> str:
        """The verb of the cleanup: ``cancel``, ``close``, ``release``, ``delete``, ``kill``."""
        ...

    def cleanup_summary(self) -> str:
        """One line naming the thing and its state, for reports."""
        ...

    def clean_up(self) -> bool:
        """Undo it now; return False when nothing was left to do.

        Raise a :class:`~jobharness.errors.JobHarnessError` saying why when
        it cannot be done.
        """
        ...


@dataclass
class Resource:
    """Any other cleanup: ``action`` is called once to undo what ``summary`` names.

    Example: ``tracker.track(Resource("densefog instance i-1", delete_it, "delete"))``.
    """

    summary: str
    action: Callable[[], object]
    cleanup_action: str = "delete"
    done: bool = False

    def cleanup_summary(self) -> str:
        """The summary given."""
        return self.summary

    def clean_up(self) -> bool:
        """Call the action (once)."""
        if self.done:
            return False
        self.action()
        self.done = True
        return True


@dataclass
class CleanupReport:
    """What a cleanup did: what it undid (with how), and what it could not (with why)."""

    done: list[tuple[Cleanable, str]] = field(default_factory=list)
    failed: list[tuple[Cleanable, str]] = field(default_factory=list)

    @property
    def cancelled(self) -> list[Cleanable]:
        """The jobs (and other things) that were cancelled."""
        return [item for item, how in self.done if how == "cancelled"]

    def lines(self) -> list[str]:
        """One line per thing, for a log or a test report."""
        out = [f"{how} leftover {item.cleanup_summary()}" for item, how in self.done]
        out += [
            f"could not {item.cleanup_action} {item.cleanup_summary()}: {why}"
            for item, why in self.failed
        ]
        return out

    def __bool__(self) -> bool:
        return bool(self.done or self.failed)


def clean_up(items: Iterable[Cleanable], timeout: float = CLEANUP_TIMEOUT) -> CleanupReport:
    """Clean up each item in order within ``timeout``; never raise, report failures instead.

    Every request the cleanups make ends by the cleanup's own deadline, also
    when the deadline of the wait that was cut has long passed.
    """
    report = CleanupReport()
    with bounded(Deadline(timeout, "cleanup")):
        for item in items:
            try:
                if item.clean_up():
                    report.done.append((item, past_tense(item.cleanup_action)))
            except JobHarnessError as exc:
                report.failed.append((item, str(exc)))
    return report


def cancel_unfinished(jobs: Iterable[Job], timeout: float = CLEANUP_TIMEOUT) -> CleanupReport:
    """Cancel each job that is not final (the older name of :func:`clean_up`, for jobs)."""
    return clean_up(jobs, timeout)


class CleanupTracker:
    """Remembers what was started per scope and cleans it up when a scope ends.

    ``timeout`` is the deadline of each cleanup.
    """

    def __init__(self, timeout: float = CLEANUP_TIMEOUT) -> None:
        self.timeout = timeout
        self._scopes: list[list[Cleanable]] = [[]]

    def push_scope(self) -> None:
        """Open a nested scope (a suite, then a test)."""
        self._scopes.append([])

    def track(self, item: Cleanable) -> Cleanable:
        """Remember ``item`` in the innermost scope; return it."""
        if not isinstance(item, Cleanable):
            raise ConfigurationError(
                f"cannot track a {type(item).__name__} for cleanup: it has no clean_up()"
            )
        self._scopes[-1].append(item)
        return item

    def items(self) -> list[Cleanable]:
        """Everything tracked, outermost scope first."""
        return [item for scope in self._scopes for item in scope]

    def jobs(self) -> list[Job]:
        """Every tracked job, outermost scope first."""
        return [item for item in self.items() if isinstance(item, Job)]

    def current(self) -> list[Cleanable]:
        """What the innermost scope tracks."""
        return list(self._scopes[-1])

    def pop_scope(self, cancel: bool = True) -> CleanupReport:
        """Close the innermost scope; clean up what it tracks unless ``cancel`` is false.

        With ``cancel`` false the items move to the enclosing scope, so a
        suite-level policy still reaches them.
        """
        items = self._scopes.pop() if len(self._scopes) > 1 else self._take_root()
        if not cancel:
            self._scopes[-1].extend(items)
            return CleanupReport()
        return clean_up(items, self.timeout)

    def clean_up_scope(self) -> CleanupReport:
        """Clean up what the innermost scope tracks now, and keep the scope open."""
        items, self._scopes[-1] = self._scopes[-1], []
        return clean_up(items, self.timeout)

    def _take_root(self) -> list[Cleanable]:
        items, self._scopes[0] = self._scopes[0], []
        return items

    def clean_up_all(self) -> CleanupReport:
        """Clean up everything tracked in every scope and forget it."""
        items = self.items()
        self._scopes = [[]]
        return clean_up(items, self.timeout)

    cancel_all = clean_up_all


JobTracker = CleanupTracker
"""The older name of :class:`CleanupTracker`."""
