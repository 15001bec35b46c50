"""Interactive sessions by alias: open, write, the read-until family, commands at a prompt."""

from __future__ import annotations

from datetime import timedelta

from robot.api import logger
from robot.api.deco import keyword

from jobharness.backends.terminal import InteractiveSession
from robotlib._core.connections import UsesConnection
from robotlib._core.context import LibraryContext
from robotlib._core.conversions import Secret, is_secret, robot_variable, secret_text
from robotlib._core.logging import BODY_LIMIT
from robotlib.terminal.results import RunResult, log_run
from robotlib.terminal.targets import DEFAULT, TargetKeywords

SESSION = "interactive session"


def _shown(text: str) -> str:
    return text if len(text) <= BODY_LIMIT else "..." + text[-BODY_LIMIT:]


class SessionKeywords(UsesConnection[TargetKeywords]):
    """Interactive sessions: a shell on a pseudo-terminal of a target, for what is interactive.

    Sessions are kept by alias (``session`` arguments take an alias or an
    index; the current one by default) and closed when the suite that opened
    them ends.
    """

    def __init__(self, context: LibraryContext, connection: TargetKeywords, **names: str) -> None:
        super().__init__(context, connection, **names)
        self.suites: list[list[InteractiveSession]] = [[]]

    def session(self, session: str | int | None = None) -> InteractiveSession:
        """The session ``session`` (alias or index), or the current one."""
        found: InteractiveSession = self.ctx.connections.get(session, SESSION)
        return found

    def _timeout(self, timeout: timedelta | None, session: InteractiveSession) -> float:
        return session.timeout if timeout is None else timeout.total_seconds()

    # -- opening and closing ----------------------------------------------------------------

    @keyword
    def open_interactive_session(
        self,
        target: str = DEFAULT,
        alias: str | None = None,
        prompt: str | None = None,
        timeout: timedelta | None = None,
        echo: bool = False,
    ) -> int:
        """Open a shell on a pseudo-terminal of ``target`` and make it the current session.

        It is one more channel of the target's connection (no new login).
        The prompt is forced to a marker of the session's own, so `Read
        Until Prompt` and `Execute Command In Session` never mistake output
        for it; the route's prompt hops (``sudo``, ``su``, a nested ``ssh``)
        are typed and their questions answered. ``prompt`` is a regexp to use
        as the prompt instead (a CLI that is no shell). ``timeout`` is how
        long each read of this session waits by default (the library's
        timeout otherwise). The terminal's echo is off unless ``echo``.
        Returns the session's index; ``alias`` names it.

        | Open Interactive Session | alias=node |
        | Write                    | passwd     |
        | Read Until               | password:  |
        """
        wait = self.ctx.default_timeout if timeout is None else timeout.total_seconds()
        terminal = self.connection.terminal(target)
        session = InteractiveSession(
            terminal,
            timeout=wait,
            prompt=prompt,
            echo=echo,
            name=f"interactive session {alias or ''} on {terminal.describe()}".replace("  ", " "),
        )
        session.open()
        self.suites[-1].append(session)
        logger.info(f"opened {session.describe()}")
        return self.ctx.connections.register(session, alias, SESSION)

    @keyword
    def switch_interactive_session(self, session: str | int) -> int:
        """Make ``session`` (alias or index) the current session; return the previous index."""
        return self.ctx.connections.switch(session, SESSION)

    @keyword
    def close_interactive_session(self, session: str | int | None = None) -> None:
        """Close ``session`` (the current one by default): its shell and what runs in it end."""
        self.session(session).close()

    @keyword
    def close_all_interactive_sessions(self) -> None:
        """Close every interactive session of the library."""
        self.ctx.connections.close_all(SESSION)
        for opened in self.suites:
            opened.clear()

    def suite_started(self) -> None:
        """A suite starts: sessions opened from now on close with it."""
        self.suites.append([])

    def suite_ended(self) -> None:
        """A suite ends: close the sessions opened in it."""
        opened = self.suites.pop() if len(self.suites) > 1 else self.suites[0]
        for session in opened:
            if session.alive:
                logger.info(f"closed {session.describe()} at the end of the suite")
            session.close()
        opened.clear()

    # -- writing ----------------------------------------------------------------------------

    @keyword
    def write(self, text: str, session: str | int | None = None) -> None:
        """Type ``text`` and a newline into the session, at once.

        The terminal's echo is off, so nothing of it is read back (with
        SSHLibrary, `Write` read the echo). For a password use `Write Secret`.
        """
        self.session(session).write_line(text)

    @keyword
    def write_bare(self, text: str, session: str | int | None = None) -> None:
        """Type ``text`` as it is, no newline added (``\\x03`` is Ctrl-C)."""
        self.session(session).write(text)

    @keyword
    def write_secret(self, secret: str | Secret, session: str | int | None = None) -> None:
        """Type a password and a newline; it is never logged and masked in all output.

        Give it as a ``Secret`` (Robot 7.4+): a plain string is in Robot's
        own log of the arguments at TRACE level.
        """
        plain = not is_secret(secret) and Secret is not str
        if plain and robot_variable("${LOG LEVEL}") == "TRACE":
            logger.warn(
                "Write Secret: the secret is given as plain text, so it is in this run's "
                "output.xml and log.html (Robot logs keyword arguments at TRACE level). "
                "Give it as a Secret: a variable typed Secret (Robot 7.4+)."
            )
        self.session(session).write_secret(secret_text(secret) or "")
        logger.info("typed a secret")

    # -- reading ----------------------------------------------------------------------------

    def _logged(self, text: str) -> str:
        logger.info(_shown(text))
        return text

    @keyword
    def read(self, session: str | int | None = None, delay: timedelta | None = None) -> str:
        """Return what the session showed that was not read yet (after waiting ``delay``)."""
        wait = 0.0 if delay is None else delay.total_seconds()
        return self._logged(self.session(session).read(wait))

    @keyword
    def read_until(
        self, expected: str, timeout: timedelta | None = None, session: str | int | None = None
    ) -> str:
        """Read until ``expected`` shows; return the output up to and including it.

        ``timeout`` (default: the session's) bounds the wait; when it runs out
        the keyword fails showing the end of the output, which stays unread.
        Long outputs cost time in proportion to their length: 10,000 lines
        take milliseconds.

        | Write      | make test |
        | Read Until | PASSED    | timeout=5 min |
        """
        found = self.session(session)
        return self._logged(found.read_until(expected, self._timeout(timeout, found)))

    @keyword
    def read_until_regexp(
        self, pattern: str, timeout: timedelta | None = None, session: str | int | None = None
    ) -> str:
        """Read until the regular expression ``pattern`` matches; return the output up to the end
        of the match. A match may reach back at most 64 KiB into earlier output.

        | Read Until Regexp | (?m)^\\d+ tests passed |
        """
        found = self.session(session)
        return self._logged(found.read_until_regexp(pattern, self._timeout(timeout, found)))

    @keyword
    def read_until_prompt(
        self,
        timeout: timedelta | None = None,
        strip_prompt: bool = False,
        session: str | int | None = None,
    ) -> str:
        """Read until the session's prompt; return the output (and the prompt, unless
        ``strip_prompt``)."""
        found = self.session(session)
        text = found.read_until_prompt(self._timeout(timeout, found), strip_prompt=strip_prompt)
        return self._logged(text)

    @keyword
    def execute_command_in_session(
        self, command: str, timeout: timedelta | None = None, session: str | int | None = None
    ) -> RunResult:
        """Type ``command`` at the session's prompt and read until the prompt comes back.

        Returns its ``status`` (from the prompt; ``None`` after a custom
        prompt) and its ``stdout``: standard output and error together, as
        the terminal shows them (``stderr`` is empty). Output nobody read is
        dropped first. When ``timeout`` runs out the command keeps running:
        `Write Bare` ``\\x03`` stops it.

        | ${result}=     | Execute Command In Session | cd /tmp && pwd |
        | Should Be Equal | ${result.stdout}          | /tmp           |
        """
        found = self.session(session)
        result = found.execute(command, self._timeout(timeout, found))
        run = RunResult.of(result, found.redact)
        log_run(f"{found.redact(command)!r} in {found.describe()}", run)
        return run

    @keyword
    def set_session_prompt(
        self, pattern: str | None = None, session: str | int | None = None
    ) -> None:
        """Use the regexp ``pattern`` as the session's prompt (a program started in it has its
        own); without it, the session's forced prompt again.

        | Write              | python3  |
        | Set Session Prompt | >>> $    |
        | Read Until Prompt  |          |
        """
        self.session(session).set_prompt(pattern)

    @keyword
    def get_session_transcript(self, session: str | int | None = None) -> str:
        """The session's recent output (the last 64 KiB), secrets masked."""
        return self.session(session).transcript
