"""AutoRunnerTerminal: a RunnerTerminal that notices a dead agent and starts a new one.

The link notices the end at once (end of file: the agent, its shell or the
connection died) or within ``heartbeat_timeout`` (2 s by default: a ping not
answered). The next call then starts a new agent, redoes the declared
imports and proxies (:meth:`~jobharness.backends.terminal.runner.RunnerTerminal.declare_import`,
:meth:`~jobharness.backends.terminal.runner.RunnerTerminal.declare_proxy`), runs
``prepare`` and goes ahead: no verify round trip is paid on calls, and a
call is never sent twice, except one that provably never left (the link was
found dead while writing its first byte).

Starting is retried, quickly at first (50 ms, doubling to 0.5 s), until the
call's deadline or ``recovery_timeout``; then
:class:`~jobharness.backends.terminal.runner_errors.SessionInitializationFailed`.
A call that was waiting when the link died raises
:class:`~jobharness.backends.terminal.runner_errors.RunnerTerminalSessionBroken`
(it may have run); proxies made on the old connection raise
:class:`~jobharness.backends.terminal.runner_errors.InvalidProxySession`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from jobharness.backends.terminal.agentlink import AgentLink
from jobharness.backends.terminal.agentstream import starter_for
from jobharness.backends.terminal.runner import RunnerTerminal
from jobharness.backends.terminal.runner_errors import (
    RunnerTerminalSessionBroken,
    RunnerTerminalSessionClosed,
    SessionInitializationFailed,
)
from jobharness.deadline import Deadline, parse_timeout
from jobharness.errors import JobHarnessError

log = logging.getLogger("jobharness.terminal")

RECOVERY_TIMEOUT = 30.0
"""Seconds a (re)start may be retried when the call's own deadline is later."""
FIRST_RETRY, MAX_RETRY = 0.05, 0.5


class AutoRunnerTerminal(RunnerTerminal):
    """A :class:`RunnerTerminal` that recovers by itself (crl's ``AutoRunnerTerminal``).

    ``initialize_with_shells(shells, prepare, finalize)`` sets the target
    and the callbacks without starting anything; the first call (or
    :meth:`initialize_if_needed`) starts the agent. ``recoveries`` counts
    the starts after the first.
    """

    _recovers = True
    default_verification_timeout = 10  # crl's attribute; liveness is the heartbeat's job

    def __init__(
        self, starter: Any = None, *, recovery_timeout: float = RECOVERY_TIMEOUT, **kwargs: Any
    ) -> None:
        super().__init__(starter, **kwargs)
        self.recovery_timeout = parse_timeout(recovery_timeout, "recovery_timeout")
        self.prepare: Callable[[], Any] = _nothing
        self.finalize: Callable[[], Any] = _nothing
        self.recoveries = 0
        self._started = False
        self._opening = False

    def initialize_with_shells(
        self,
        shells: Any,
        prepare: Callable[[], Any] = lambda: None,
        finalize: Callable[[], Any] = lambda: None,
    ) -> None:
        """Set the target (a starter, hop specs or a route) and the callbacks; start nothing.

        ``prepare`` runs after every start (import, fill empty proxies with
        ``set_from_remote_proxy``); ``finalize`` before a deliberate close.
        """
        self.initialize(starter_for(shells), prepare=prepare, finalize=finalize)

    def initialize_with_shelldicts(
        self,
        shelldicts: Any,
        prepare: Callable[[], Any] = lambda: None,
        finalize: Callable[[], Any] = lambda: None,
    ) -> None:
        """:meth:`initialize_with_shells` from crl-style shell dicts."""
        self.initialize_with_shells(shelldicts, prepare=prepare, finalize=finalize)

    def initialize(
        self,
        session: Any = None,
        prepare: Callable[[], Any] = lambda: None,
        finalize: Callable[[], Any] = lambda: None,
    ) -> None:
        """Set the target and callbacks (crl: this does not open the session)."""
        with self._lock:
            self.close()
            if session is not None:
                self._starter = starter_for(session)
            self.prepare, self.finalize = prepare, finalize
            self._started = False

    def initialize_if_needed(self) -> None:
        """Start the agent if none runs, or a new one if it died."""
        self._link_for(Deadline(self.recovery_timeout, "start"))

    def _link_for(self, deadline: Deadline) -> AgentLink:
        link = self._link
        if link is not None and not link.broken and not self._opening:
            return link
        # Recovery holds the lock; the recovering thread re-enters it (prepare's calls),
        # other threads wait for the new agent, within their own deadline.
        if not self._lock.acquire(timeout=max(deadline.remaining(), 0.0)):
            raise RunnerTerminalSessionBroken(
                f"the agent on {self.describe()} was still being started again when the call's "
                f"{deadline.timeout:g} s ran out"
            )
        try:
            if self._opening:
                return super()._link_for(deadline)
            link = self._link
            if link is not None and not link.broken:
                return link
            return self._recover(deadline)
        finally:
            self._lock.release()

    def _recover(self, deadline: Deadline) -> AgentLink:
        """Start a new agent (closing the dead one), retrying until the deadline."""
        if self._starter is None:
            raise RunnerTerminalSessionClosed(
                "the runner has no target: initialize_with_shells first"
            )
        old, self._link = self._link, None
        if old is not None:
            log.info("the agent on %s is gone (%s): starting a new one", old.describe(), old.reason)
            old.close()
        limit = Deadline(min(deadline.remaining(), self.recovery_timeout), "recovery")
        began, pause, failure = time.monotonic(), FIRST_RETRY, ""
        while True:
            try:
                link = self._start_and_prepare(limit)
                break
            except (JobHarnessError, OSError) as exc:
                failure = str(exc)
                if isinstance(exc, PrepareFailed):
                    raise
                if limit.remaining() <= pause:
                    raise SessionInitializationFailed(
                        f"no agent could be started on {self.describe()} within "
                        f"{limit.timeout:g} s: {failure}"
                    ) from None
                limit.sleep(pause)
                pause = min(pause * 2, MAX_RETRY)
        self.recoveries += self._started
        self._started = True
        log.info("agent ready on %s after %.3f s", link.describe(), time.monotonic() - began)
        return link

    def _start_and_prepare(self, limit: Deadline) -> AgentLink:
        self._opening = True
        try:
            link = self._open(limit)
            try:
                self.prepare()
            except RunnerTerminalSessionBroken:
                raise  # the new agent died meanwhile: try again
            except Exception as exc:
                raise PrepareFailed(
                    f"prepare() failed on {link.describe()}: {type(exc).__name__}: {exc}"
                ) from exc
            if link.broken:
                raise RunnerTerminalSessionBroken(f"the new agent died at once: {link.reason}")
            return link
        except BaseException:
            link_now, self._link = self._link, None
            if link_now is not None:
                link_now.close()
            raise
        finally:
            self._opening = False

    def close(self) -> None:
        """Run ``finalize`` (when the agent still lives), then end it."""
        with self._lock:
            link = self._link
            if link is not None and not link.broken:
                try:
                    self.finalize()
                except Exception as exc:
                    log.info("finalize() failed on %s: %s", link.describe(), exc)
            super().close()


class PrepareFailed(SessionInitializationFailed):
    """``prepare`` raised: the agent started, the user's set-up did not (not retried)."""


def _nothing() -> None:
    return None
