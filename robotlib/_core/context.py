"""The state the components of one library share: target, connections, cleanup, job log."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from robot.api import logger
from robot.utils import ConnectionCache

from jobharness.cleanup import (
    CLEANUP_TIMEOUT,
    Cleanable,
    CleanupPolicy,
    CleanupReport,
    CleanupTracker,
)
from jobharness.jobs import DEFAULT_TIMEOUT, Job
from jobharness.targets import Target, TargetSpec, open_target
from robotlib._core.conversions import robot_setting, seconds, secret_text, warn_if_logged
from robotlib._core.logging import JobLog


class Connections:
    """Connections by alias or index, one cache per kind (dispatcher and harpd, say)."""

    def __init__(self, backend: str, kinds: Sequence[str]) -> None:
        self.kinds = tuple(kinds)
        self._caches = {
            kind: ConnectionCache(f"No open {kind if kind != backend else backend} connection.")
            for kind in self.kinds
        }

    def _cache(self, kind: str | None) -> ConnectionCache:
        return self._caches[kind or self.kinds[0]]

    def register(self, connection: Any, alias: str | None = None, kind: str | None = None) -> int:
        """Keep ``connection`` (under ``alias``), make it current; return its index."""
        return int(self._cache(kind).register(connection, alias))

    def has(self, kind: str | None = None) -> bool:
        """True when a connection of ``kind`` is open."""
        return bool(self._cache(kind))

    def get(self, index_or_alias: str | int | None = None, kind: str | None = None) -> Any:
        """The connection ``index_or_alias``, or the current one."""
        cache = self._cache(kind)
        return cache.current if index_or_alias is None else cache.get_connection(index_or_alias)

    def index(self, index_or_alias: str | int | None = None, kind: str | None = None) -> int:
        """The index of the connection ``index_or_alias`` (or of the current one; 0 if none)."""
        cache = self._cache(kind)
        found = (
            cache.current_index
            if index_or_alias is None
            else cache.get_connection_index(index_or_alias)
        )
        return int(found or 0)

    def switch(self, index_or_alias: str | int, kind: str | None = None) -> int:
        """Make ``index_or_alias`` current; return the index of the previous current one."""
        cache = self._cache(kind)
        previous = cache.current_index
        cache.switch(index_or_alias)
        return int(previous) if previous is not None else 0

    def close_all(self, kind: str | None = None) -> None:
        """Close the connections of ``kind``, or of every kind."""
        for name in [kind] if kind else self.kinds:
            self._caches[name].close_all(closer_method="close")


class LibraryContext:
    """What the components of one library share.

    ``spec`` says how the backend's target is found; ``cleanup`` when the
    leftovers of a test are cleaned up (``test``, ``suite``, ``never``) and
    ``cleanup_timeout`` how long one cleanup may take; ``timeout`` is the
    default of every wait; ``kinds`` are the kinds of connection the library
    keeps.
    """

    def __init__(
        self,
        backend: str,
        spec: TargetSpec | None = None,
        *,
        cleanup: CleanupPolicy | str = CleanupPolicy.TEST,
        timeout: Any = DEFAULT_TIMEOUT,
        cleanup_timeout: Any = CLEANUP_TIMEOUT,
        kinds: Sequence[str] = (),
    ) -> None:
        self.backend = backend
        self.spec = spec
        self.cleanup_policy = CleanupPolicy.parse(cleanup)
        self.default_timeout = seconds(timeout, DEFAULT_TIMEOUT)
        self.connections = Connections(backend, kinds or (backend,))
        self.tracker = CleanupTracker(seconds(cleanup_timeout, CLEANUP_TIMEOUT, "cleanup_timeout"))
        self.job_log = JobLog()
        self.embedded_target: Target | None = None
        self.progress: str | None = None
        """The status-line setting given to the library (None: env, Robot variable, auto)."""

    # -- targets ---------------------------------------------------------------------------

    def target(self, explicit: Mapping[str, Any] | None = None, **options: Any) -> Target:
        """The configured server (arguments, environment, Robot variables), or the embedded one.

        The embedded target is started on first use and stopped when the
        library is closed; ``options`` reach its servers.
        """
        assert self.spec is not None, f"{self.backend} has no target"
        given = dict(explicit or {})
        for setting in self.spec.settings:
            warn_if_logged(setting, given.get(setting.name))
            if setting.secret and setting.name in given:
                given[setting.name] = secret_text(given[setting.name])
        settings = self.spec.resolve(robot_setting, given)
        if self.spec.configured(settings) is None and self.embedded_target is not None:
            return self.embedded_target
        target = open_target(self.spec, settings, options=options)
        if target.embedded:
            self.embedded_target = target
            logger.info(f"started embedded {target.describe()}")
        return target

    # -- cleanup ---------------------------------------------------------------------------

    def track(self, item: Cleanable) -> Cleanable:
        """Remember ``item`` for cleanup (and log a job's state)."""
        self.tracker.track(item)
        if isinstance(item, Job):
            self.job_log.changes(item)
        return item

    def report(self, report: CleanupReport) -> None:
        """Log what a cleanup did: done at INFO, failed as a warning."""
        for item, how in report.done:
            logger.info(f"{how} leftover {item.cleanup_summary()}")
        for item, why in report.failed:
            logger.warn(f"could not {item.cleanup_action} {item.cleanup_summary()}: {why}")

    def start_scope(self) -> None:
        """A suite or a test starts."""
        self.tracker.push_scope()

    def end_scope(self, clean: bool) -> None:
        """A suite or a test ends: clean up what it left (``clean``), or hand it outwards."""
        self.report(self.tracker.pop_scope(cancel=clean))

    def close(self) -> None:
        """Clean up everything left, close every connection, stop the embedded servers."""
        if self.cleanup_policy is not CleanupPolicy.NEVER:
            self.report(self.tracker.clean_up_all())
        self.connections.close_all()
        if self.embedded_target is not None:
            self.embedded_target.close()
            self.embedded_target = None
