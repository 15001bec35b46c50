"""AutoRecoveringTerminal: a terminal that notices a break and opens itself again.

crl's surface, kept: :meth:`~AutoRecoveringTerminal.initialize` sets the
desired state (the route, which exceptions mean "broken", tries, the
``prepare``/``finalize``/``verify`` callables) and opens nothing;
:meth:`~AutoRecoveringTerminal.initialize_terminal` opens now;
:meth:`~AutoRecoveringTerminal.initialize_if_needed` opens when nothing is
open or the open one is broken; :meth:`~AutoRecoveringTerminal.run` runs a
command after that; :meth:`~AutoRecoveringTerminal.auto_close` closes on a
broken exception, so the next call recovers.

At run time it holds, built afresh from the immutable route on every open,
a :class:`~jobharness.backends.terminal.client.Terminal` (one connection),
a :class:`~jobharness.backends.terminal.heartbeat.Heartbeat` on it and (with
``pty``) an :class:`~jobharness.backends.terminal.interactive.InteractiveSession`:
the shell stack crl's terminal is. A break is noticed at once from end of
file and within 2 s by the heartbeat. Recovery closes the dead parts and
opens again (a new shell on the connection, or a new login when the
connection died), retried 50 ms apart doubling to 250 ms until
``recovery_timeout``. A call under way when the break came fails (it may
have run) and is not repeated. Without a ``verify`` of the caller's,
``initialize_if_needed`` checks an open session with an empty line and its
prompt, which catches a break whose end of file was not read yet.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from jobharness.backends.terminal.client import Terminal
from jobharness.backends.terminal.errors import (
    AuthRefused,
    HostKeyError,
    ReadTimedOut,
    SessionBroken,
    SessionInitializationFailed,
    TerminalError,
    TerminalUnreachable,
)
from jobharness.backends.terminal.heartbeat import DEFAULT_INTERVAL, Heartbeat, start_heartbeat
from jobharness.backends.terminal.heartbeat import DEFAULT_TIMEOUT as HEARTBEAT_TIMEOUT
from jobharness.backends.terminal.interactive import InteractiveSession
from jobharness.backends.terminal.results import CommandResult
from jobharness.backends.terminal.spec import Route, route
from jobharness.deadline import Deadline, bounded, parse_timeout
from jobharness.errors import ConfigurationError
from jobharness.resources import Closing

log = logging.getLogger("jobharness.terminal")

VERIFY_TIMEOUT = 2.0
"""Seconds the built-in check waits for the session's prompt before it counts as broken."""
RECOVERY_TIMEOUT = 30.0
"""Seconds an open may be retried when ``max_tries`` is not given."""
FIRST_PAUSE, MAX_PAUSE = 0.05, 0.25
BROKEN: tuple[type[BaseException], ...] = (SessionBroken,)
"""What counts as a broken terminal by default."""
INIT_BROKEN: tuple[type[BaseException], ...] = (TerminalUnreachable, SessionBroken)
"""What makes an open worth trying again by default (never a refused login or host key)."""
NEVER_RETRIED: tuple[type[BaseException], ...] = (AuthRefused, HostKeyError, ConfigurationError)

Callback = Callable[[], Any]


def _exceptions(value: Any, what: str) -> tuple[type[BaseException], ...]:
    items = tuple(value) if isinstance(value, (list, tuple)) else (value,)
    for item in items:
        if not (isinstance(item, type) and issubclass(item, BaseException)):
            raise ConfigurationError(f"{what} must be exception classes, got {item!r}")
    return items


class AutoRecoveringTerminal(Closing):
    """A terminal on a route that opens itself again when it breaks (crl's name and surface).

    Constructor options: ``pty`` opens an interactive session (a shell on a
    pseudo-terminal, what :meth:`run` uses); without it only the connection
    is kept (for callers that start their own channels, :attr:`terminal`).
    ``timeout`` is how long :meth:`run` waits by default; ``request_timeout``
    bounds one open; ``recovery_timeout`` how long opens are retried when
    ``max_tries`` is not given; ``heartbeat_interval`` and
    ``heartbeat_timeout`` tune the heartbeat (a timeout of 0 turns it off).
    """

    def __init__(
        self,
        *,
        pty: bool = True,
        timeout: float = 30.0,
        request_timeout: float = 30.0,
        recovery_timeout: float = RECOVERY_TIMEOUT,
        heartbeat_interval: float = DEFAULT_INTERVAL,
        heartbeat_timeout: float = HEARTBEAT_TIMEOUT,
        terminal_options: dict[str, Any] | None = None,
    ) -> None:
        self.pty = pty
        self.timeout = parse_timeout(timeout, "timeout")
        self.request_timeout = parse_timeout(request_timeout, "request_timeout")
        self.recovery_timeout = parse_timeout(recovery_timeout, "recovery_timeout")
        self.heartbeat_interval = parse_timeout(heartbeat_interval, "heartbeat_interval")
        self.heartbeat_timeout = parse_timeout(heartbeat_timeout, "heartbeat_timeout")
        self.terminal_options = dict(terminal_options or {})
        self.route: Route | None = None
        self.recoveries = 0
        self.broken_exceptions: tuple[type[BaseException], ...] = BROKEN
        self.init_broken_exceptions: tuple[type[BaseException], ...] = INIT_BROKEN
        self.sleep_between_tries: float | None = None
        self.max_tries: int | None = None
        self.prepare: Callback = _nothing
        self.finalize: Callback = _nothing
        self.verify: Callback | None = None
        self._terminal: Terminal | None = None
        self._session: InteractiveSession | None = None
        self._heartbeat: Heartbeat | None = None
        self._opened = False
        self._in_verify = False
        self._lock = threading.RLock()

    # -- the desired state (crl's setters) -------------------------------------------------

    def initialize(
        self,
        shells: Any,
        broken_exceptions: Any = BROKEN,
        init_broken_exceptions: Any = INIT_BROKEN,
        sleep_between_tries: float | None = None,
        max_tries: int | None = None,
        prepare: Callback | None = None,
        finalize: Callback | None = None,
        verify: Callback | None = None,
    ) -> None:
        """Set the route and the recovery rules; open nothing (crl's ``initialize``).

        ``shells`` is a hop, a list of hops (crl's shell names make them) or
        shell dicts. ``broken_exceptions`` mean the terminal broke while used;
        ``init_broken_exceptions`` make a failed open worth another try (a
        refused login or host key never is). ``max_tries`` opens at most that
        often, ``sleep_between_tries`` apart; by default opens are retried,
        50 ms apart doubling to 250 ms, for ``recovery_timeout``. ``prepare``
        runs after every open, ``finalize`` before a deliberate close,
        ``verify`` in :meth:`initialize_if_needed` (raising a broken exception
        when the terminal is broken).
        """
        with self._lock:
            self.close()
            self.route = route(shells)
            self.set_broken_exceptions(broken_exceptions)
            self.init_broken_exceptions = _exceptions(
                init_broken_exceptions, "init_broken_exceptions"
            )
            self.sleep_between_tries = (
                None
                if sleep_between_tries is None
                else parse_timeout(sleep_between_tries, "sleep_between_tries")
            )
            if max_tries is not None and int(max_tries) < 1:
                raise ConfigurationError(f"max_tries must be 1 or more, got {max_tries!r}")
            self.max_tries = None if max_tries is None else int(max_tries)
            self.set_prepare(prepare or _nothing)
            self.set_finalize(finalize or _nothing)
            self.set_verify(verify)

    def set_broken_exceptions(self, broken_exceptions: Any) -> None:
        """Which exceptions mean that the terminal broke while it was used."""
        self.broken_exceptions = _exceptions(broken_exceptions, "broken_exceptions")

    def set_prepare(self, prepare: Callback) -> None:
        """What runs after every open (the terminal and session are usable in it)."""
        self.prepare = prepare

    def set_finalize(self, finalize: Callback) -> None:
        """What runs before a deliberate close (not after a break)."""
        self.finalize = finalize

    def set_verify(self, verify: Callback | None) -> None:
        """What :meth:`initialize_if_needed` calls to check an open terminal; None: the built-in
        check (the session's prompt, or the connection and heartbeat without ``pty``)."""
        self.verify = verify

    # -- what is open ----------------------------------------------------------------------

    @property
    def terminal(self) -> Terminal:
        """The connection (opened by :meth:`initialize_if_needed` when needed)."""
        self.initialize_if_needed()
        assert self._terminal is not None
        return self._terminal

    @property
    def session(self) -> InteractiveSession:
        """The interactive session (``pty``), opened when needed."""
        self.initialize_if_needed()
        if self._session is None:
            raise TerminalError("this AutoRecoveringTerminal was made with pty=False")
        return self._session

    def get_session(self) -> InteractiveSession | None:
        """The interactive session as it is now, or None (crl's ``get_session``; opens nothing)."""
        return self._session

    def broken_reason(self) -> str | None:
        """Why the open terminal counts as broken (None: it does not, or nothing is open)."""
        if self._terminal is None:
            return None
        if self._heartbeat is not None and self._heartbeat.failure:
            return self._heartbeat.failure
        master = self._terminal.master
        if self._terminal.plan.ssh and (master is None or not master.alive):
            return "the ssh connection is gone"
        if self.pty and (self._session is None or not self._session.alive):
            return "the interactive session has ended"
        return None

    def describe(self) -> str:
        """The route, for messages."""
        return self.route.describe() if self.route is not None else "(no route)"

    # -- opening ----------------------------------------------------------------------------

    def initialize_terminal(self) -> None:
        """Open now (closing anything open first), trying again as ``initialize`` said."""
        with self._lock:
            self._close_parts(finalize=True)
            self._open_with_tries()

    def initialize_if_needed(self) -> None:
        """Open when nothing is open, or open again when the open terminal is broken."""
        with self._lock:
            if self._in_verify:
                return
            if not self._opened:
                self._open_with_tries()
                return
            reason = self.broken_reason()
            broken: tuple[type[BaseException], ...] = (*self.broken_exceptions, SessionBroken)
            if reason is None:
                try:
                    self._verify()
                    return
                except broken as exc:
                    reason = str(exc)
            log.info("%s is broken (%s): opening it again", self.describe(), reason)
            self._close_parts(finalize=False)
            self._open_with_tries()
            self.recoveries += 1

    def _verify(self) -> None:
        self._in_verify = True
        try:
            if self.verify is not None:
                self.verify()
            elif self._session is not None:
                try:
                    self._session.ping(VERIFY_TIMEOUT)
                except ReadTimedOut as exc:  # a shell that does not answer is no use either
                    raise SessionBroken(f"{self.describe()}: {exc}") from None
        finally:
            self._in_verify = False

    def _open_with_tries(self) -> None:
        if self.route is None:
            raise SessionInitializationFailed("AutoRecoveringTerminal: initialize(shells) first")
        limit = Deadline(self.recovery_timeout, "recovery")
        pause, tries = FIRST_PAUSE, 0
        while True:
            tries += 1
            try:
                self._open_once()
                return
            except BaseException as exc:
                self._close_parts(finalize=False)
                retry = isinstance(exc, self.init_broken_exceptions) and not isinstance(
                    exc, NEVER_RETRIED
                )
                wait = pause if self.sleep_between_tries is None else self.sleep_between_tries
                last = self.max_tries is not None and tries >= self.max_tries
                if self.max_tries is None and limit.remaining() <= wait:
                    last = True
                if not retry:
                    raise
                if last:
                    raise SessionInitializationFailed(
                        f"{self.describe()} could not be opened in {tries} "
                        f"{'try' if tries == 1 else 'tries'}: {type(exc).__name__}: {exc}"
                    ) from exc
                log.debug("opening %s failed (%s); trying again", self.describe(), exc)
                time.sleep(wait)
                pause = min(pause * 2, MAX_PAUSE)

    def _open_once(self) -> None:
        assert self.route is not None
        with bounded(Deadline(self.request_timeout, "open")):
            if self._terminal is None:
                options = {"request_timeout": self.request_timeout, **self.terminal_options}
                self._terminal = Terminal(self.route, **options)
            self._terminal.open()
            if self.heartbeat_timeout > 0:
                self._heartbeat = start_heartbeat(
                    self._terminal,
                    interval=self.heartbeat_interval,
                    timeout=self.heartbeat_timeout,
                )
            if self.pty:
                self._session = InteractiveSession(
                    self._terminal, timeout=self.timeout, liveness=self._liveness
                ).open()
            self._opened = True
            self.prepare()

    def _liveness(self) -> str | None:
        heartbeat = self._heartbeat
        return heartbeat.failure if heartbeat is not None else None

    # -- using it ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def auto_close(self) -> Iterator[None]:
        """Close the terminal when a broken exception leaves the block (and let it go on)."""
        try:
            yield
        except self.broken_exceptions:
            self._close_parts(finalize=False)
            raise

    def run(self, command: str, timeout: float | None = None) -> CommandResult:
        """Run the shell ``command``, recovering first if needed; its result.

        With ``pty`` it runs in the interactive session: standard output and
        error come together, as the terminal shows them, and the status comes
        from the prompt. Without ``pty`` it runs on the connection (status,
        stdout and stderr apart). A break while it runs raises (it may have
        run) and the next call recovers. At ``timeout`` the session is closed,
        which ends the command, and :class:`~.errors.ReadTimedOut` is raised.
        """
        with self._lock:
            self.initialize_if_needed()
            with self.auto_close():
                wait = self.timeout if timeout is None else parse_timeout(timeout)
                if self._session is not None:
                    try:
                        return self._session.execute(command, wait)
                    except ReadTimedOut:
                        self._close_parts(finalize=False)
                        raise
                assert self._terminal is not None
                return self._terminal.run(command, wait)

    # -- closing ----------------------------------------------------------------------------

    def _close_parts(self, *, finalize: bool) -> None:
        """Close what is open; a broken connection is logged out, a working one kept."""
        was_open, self._opened = self._opened, False
        if was_open and finalize:
            try:
                self.finalize()
            except Exception as exc:  # the terminal may be half gone: report, go on
                log.info("finalize() failed on %s: %s", self.describe(), exc)
        session, self._session = self._session, None
        if session is not None:
            session.close()
        heartbeat, self._heartbeat = self._heartbeat, None
        terminal = self._terminal
        # A failed heartbeat condemns the connection it beat through, not a newer one: an
        # open that began on a dying connection may have logged in again half way.
        connection_broken = (
            heartbeat is not None
            and heartbeat.failure is not None
            and terminal is not None
            and heartbeat.link is terminal.master
        )
        if heartbeat is not None:
            heartbeat.stop()
        if terminal is not None and (finalize or connection_broken or not terminal.connected):
            terminal.close()

    @property
    def cleanup_action(self) -> str:
        """Recovering terminals are closed by a cleanup."""
        return "close"

    def cleanup_summary(self) -> str:
        """One line for cleanup reports."""
        return f"auto-recovering terminal {self.describe()}"

    def clean_up(self) -> bool:
        """Close it; return whether anything was open."""
        was = self._opened or self._terminal is not None
        self.close()
        return was

    def close(self) -> None:
        """Run ``finalize`` (when open), close the session and log out; ``initialize_terminal``
        or the next call opens it again."""
        with self._lock:
            self._close_parts(finalize=True)

    def __repr__(self) -> str:
        state = "open" if self._opened else "closed"
        return f"<AutoRecoveringTerminal {self.describe()} {state}, {self.recoveries} recoveries>"


def _nothing() -> None:
    return None
