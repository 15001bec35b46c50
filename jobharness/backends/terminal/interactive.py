"""Interactive sessions: a shell on a pseudo-terminal, for what really is interactive.

>>> with InteractiveSession(SshHop("10.0.0.5", user="t", key_file="id")) as s:  # doctest: +SKIP
...     s.write_line("sudo -k passwd")                                        # doctest: +SKIP
...     s.read_until("password:")                                             # doctest: +SKIP
...     s.write_secret(old_password)                                          # doctest: +SKIP
...     result = s.execute("echo $HOME")                                      # doctest: +SKIP

A session is one more channel of its :class:`~jobharness.backends.terminal.client.Terminal`'s
connection (no new login): ``ssh -tt`` through the ControlMaster runs the
login shell on a pseudo-terminal. The session then forces the prompt to a
marker of its own (``PS1``, with the last status and the shell's PID in
it), turns the terminal's echo off (so what is read is what programs
print) and history saving off, and types the route's prompt hops
(``sudo``, ``su``, a nested ``ssh``, a REPL), answering their questions
(:mod:`~jobharness.backends.terminal.sessionhops`).

Every read has a deadline (``timeout``, the session's default otherwise)
and ends at once when the terminal ends (:class:`SessionBroken`) or when
``liveness`` says the peer is gone (a heartbeat). Matching is linear in
the output's length and the buffer is bounded
(:mod:`~jobharness.backends.terminal.reading`). Writes go out at once (no
send delay). Secrets (the route's passwords, what :meth:`write_secret`
typed) are masked in everything a session returns, logs or raises, and in
its transcript.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
from collections import deque
from typing import Any

import pexpect

from jobharness.backends.terminal import sessionhops
from jobharness.backends.terminal.client import Terminal
from jobharness.backends.terminal.errors import SessionBroken, TerminalError
from jobharness.backends.terminal.reading import (
    DEFAULT_LIMIT,
    Found,
    Literal,
    Liveness,
    Matcher,
    PtyReader,
    ReadBuffer,
    Regexp,
    read_until,
)
from jobharness.backends.terminal.results import CommandResult
from jobharness.backends.terminal.sessionhops import ShellPrompt
from jobharness.deadline import Deadline, bounded, parse_timeout
from jobharness.redaction import Redactor
from jobharness.resources import Closing

DEFAULT_TIMEOUT = 30.0
"""Seconds a read waits when no ``timeout`` is given."""
DEFAULT_SIZE = (400, 400)
"""Rows and columns of the pseudo-terminal (wide: long lines do not wrap)."""
TRANSCRIPT_LIMIT = 64 * 1024
"""Characters of recent output kept for the transcript."""


TERMINAL_SIGNALS = (signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP)
"""The signals a terminal's keys send; a session's shell gets them as a fresh process does."""


def terminal_signals() -> None:
    """In the session's child, before its program starts: the terminal signals at default.

    A runner started in the background (``cmd &`` in a script, some CI agents)
    ignores SIGINT and SIGQUIT, and an ignored signal stays ignored across
    ``exec``: without this, ``interrupt()`` (Ctrl-C) could not stop a command
    in a local shell.
    """
    for signum in TERMINAL_SIGNALS:
        signal.signal(signum, signal.SIG_DFL)


class InteractiveSession(Closing):
    """A shell on a pseudo-terminal at the end of a route: write, read until, execute.

    ``target`` is a :class:`~jobharness.backends.terminal.client.Terminal`
    (the session uses its connection) or anything a Terminal takes (a route,
    a hop, dicts: the session then owns that terminal and closes it).
    ``timeout`` is how long a read waits by default; ``prompt`` a regexp to
    use as the prompt instead of forcing one (a CLI that is no shell);
    ``echo`` keeps the terminal's echo on; ``buffer_limit`` bounds the
    unread output; ``liveness`` tells a read that the peer is gone.
    """

    def __init__(
        self,
        target: Terminal | Any,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        prompt: str | None = None,
        echo: bool = False,
        buffer_limit: int = DEFAULT_LIMIT,
        size: tuple[int, int] = DEFAULT_SIZE,
        liveness: Liveness | None = None,
        name: str = "",
    ) -> None:
        self._owns_terminal = not isinstance(target, Terminal)
        self.terminal: Terminal = target if isinstance(target, Terminal) else Terminal(target)
        self.timeout = parse_timeout(timeout, "timeout")
        self.echo = echo
        self.size = size
        self.liveness = liveness
        self.name = name
        self.redact = Redactor(self.terminal.route.secrets)
        self.buffer = ReadBuffer(buffer_limit)
        self.marker = f"jh{secrets.token_hex(6)}"
        self.prompt: Matcher = ShellPrompt(self.marker) if prompt is None else Regexp(prompt)
        self.last_status: int | None = None
        self.shell_pid: int | None = None
        self._given_prompt = prompt
        self._child: pexpect.spawn | None = None
        self._reader: PtyReader | None = None
        self._transcript: deque[str] = deque()
        self._transcript_size = 0

    # -- opening --------------------------------------------------------------------------

    def describe(self) -> str:
        """The session's name, or ``interactive session on <route>`` (no secrets)."""
        return self.name or f"interactive session on {self.terminal.describe()}"

    @property
    def alive(self) -> bool:
        """True while the terminal runs (the end of its output was not seen yet)."""
        return (
            self._child is not None
            and self._reader is not None
            and not self._reader.ended
            and self._child.isalive()
        )

    def open(self, timeout: float | None = None) -> InteractiveSession:
        """Start the shell, force the prompt, pass the route's prompt hops; within ``timeout``.

        ``timeout`` (default: the terminal's ``request_timeout``) bounds the
        login (when the terminal is not connected yet) and every step after.
        A no-op while the session is alive.
        """
        if self.alive:
            return self
        self._stop_child()
        limit = Deadline(self.terminal.request_timeout if timeout is None else timeout, "open")
        with bounded(limit) as deadline:
            argv = self.terminal.pty_argv()
            env = {**os.environ, "TERM": "dumb"}
            env.pop("PROMPT_COMMAND", None)
            try:
                child = pexpect.spawn(
                    argv[0],
                    argv[1:],
                    env=env,
                    dimensions=self.size,
                    preexec_fn=terminal_signals,
                )
            except (OSError, pexpect.ExceptionPexpect) as exc:
                raise TerminalError(f"cannot start {self.describe()}: {exc}") from None
            for holder in (child, child.ptyproc):
                holder.delayafterclose = 0.0
                holder.delayafterterminate = 0.02
            self._child = child
            self._reader = PtyReader(child.child_fd, self.describe())
            self.buffer.take()
            try:
                self._start(deadline)
            except BaseException:
                self._stop_child()
                raise
        return self

    def _start(self, deadline: Deadline) -> None:
        if self._given_prompt is not None and not self.terminal.prompt_hops:
            self.read_until_prompt(deadline.remaining())
            return
        self.force_prompt(deadline)
        for hop in self.terminal.prompt_hops:
            sessionhops.enter(self, hop, deadline)
        plan = self.terminal.plan
        for step in sessionhops.setup_lines(plan.init_env, plan.workdir):
            result = self.execute(step, deadline.remaining())
            if result.status not in (0, None):
                raise TerminalError(
                    f"{self.describe()}: {step.split()[0]!r} failed with status {result.status}: "
                    f"{result.stdout.strip() or '(no output)'}"
                )
        if self._given_prompt is not None:
            self.set_prompt(self._given_prompt)

    def force_prompt(self, deadline: Deadline) -> str:
        """Make the shell show the session's marker prompt (also after a new shell started);
        return what it printed before the prompt."""
        half = len(self.marker) // 2
        quoted = f"'{self.marker[:half]}''{self.marker[half:]}[$?:$$]> '"
        echo = "echo" if self.echo else "-echo"
        self.prompt = ShellPrompt(self.marker)
        self.write_line(f"PS1={quoted}; PS2=''; unset HISTFILE PROMPT_COMMAND; stty {echo}")
        text, found = self._read(self.prompt, deadline)
        self._prompted(found)
        return text[: len(text) - (found.end - found.start)]

    def set_prompt(self, pattern: str | None) -> None:
        """Use the regexp ``pattern`` as the prompt (a CLI started in the session); None: the
        forced marker prompt again."""
        self.prompt = ShellPrompt(self.marker) if pattern is None else Regexp(pattern)

    # -- writing --------------------------------------------------------------------------

    def _fd(self) -> int:
        if self._child is None or self._reader is None:
            raise TerminalError(f"{self.describe()} is not open")
        if self._reader.ended:
            raise SessionBroken(f"{self.describe()}: the terminal has ended")
        return int(self._child.child_fd)

    def write(self, text: str, *, secret: bool = False) -> None:
        """Type ``text`` as it is (no newline added), at once; ``secret``: mask it from now on."""
        if secret:
            self.redact.add(text)
        data = memoryview(text.encode())
        fd = self._fd()
        while data:
            try:
                data = data[os.write(fd, data) :]
            except OSError as exc:
                raise SessionBroken(f"{self.describe()}: cannot write: {exc}") from None

    def write_line(self, text: str = "", *, secret: bool = False) -> None:
        """Type ``text`` and a newline."""
        if secret:
            self.redact.add(text)
        self.write(text + "\n")

    def write_secret(self, secret: str) -> None:
        """Type a password (and a newline); it never shows in what the session returns or logs."""
        self.write_line(secret, secret=True)

    def interrupt(self) -> None:
        """Type Ctrl-C."""
        self.write("\x03")

    # -- reading --------------------------------------------------------------------------

    def _deadline(self, timeout: float | None) -> Deadline:
        return Deadline(self.timeout if timeout is None else timeout, "read")

    def _read(self, matcher: Matcher, deadline: Deadline) -> tuple[str, Found]:
        reader = self._reader
        if reader is None:
            raise TerminalError(f"{self.describe()} is not open")
        text, found = read_until(
            reader,
            self.buffer,
            matcher,
            deadline,
            liveness=self.liveness,
            shown=self.redact,
            record=self._remember,
        )
        return self.redact(text), found

    def _remember(self, text: str) -> None:
        if not text:
            return
        self._transcript.append(text)
        self._transcript_size += len(text)
        while self._transcript_size > TRANSCRIPT_LIMIT and len(self._transcript) > 1:
            self._transcript_size -= len(self._transcript.popleft())

    def read_chunk(self, deadline: Deadline) -> str:
        """What was unread and what comes within a short slice, consumed as it is (not masked).

        For code that scans the output itself (passing prompt hops); ends at
        the end of the terminal, or when ``liveness`` names a reason.
        """
        reader = self._reader
        if reader is None:
            raise TerminalError(f"{self.describe()} is not open")
        reason = self.liveness() if self.liveness is not None else None
        if reason is not None:
            raise SessionBroken(f"{self.describe()}: {reason}")
        fresh = reader.read(deadline)
        self._remember(fresh)
        return self.buffer.take() + fresh

    def read(self, wait: float = 0.0) -> str:
        """What the terminal showed and nobody read yet, and what comes within ``wait`` s."""
        reader = self._reader
        if reader is None:
            raise TerminalError(f"{self.describe()} is not open")
        deadline = Deadline(wait, "read")
        with contextlib.suppress(SessionBroken):
            while True:
                text = reader.read(deadline, wait=deadline.remaining())
                self._remember(text)
                self.buffer.append(text)
                if not text or deadline.expired:
                    break
        return self.redact(self.buffer.take())

    def read_until(self, expected: str, timeout: float | None = None) -> str:
        """Read until ``expected`` shows; the output up to and including it.

        At ``timeout`` (default the session's) :class:`~.errors.ReadTimedOut`
        with the output seen, which stays unread.
        """
        return self._read(Literal(expected), self._deadline(timeout))[0]

    def read_until_regexp(
        self, pattern: str | re.Pattern[str], timeout: float | None = None
    ) -> str:
        """Read until the regexp ``pattern`` matches; the output up to the end of the match."""
        return self._read(Regexp(pattern), self._deadline(timeout))[0]

    def read_until_match(
        self, pattern: str | re.Pattern[str], timeout: float | None = None
    ) -> re.Match[str]:
        """Read until the regexp ``pattern`` matches; the match (its groups)."""
        found = self._read(Regexp(pattern), self._deadline(timeout))[1]
        assert found.match is not None
        return found.match

    def read_until_prompt(self, timeout: float | None = None, *, strip_prompt: bool = False) -> str:
        """Read until the prompt; the output up to it (and the prompt unless ``strip_prompt``)."""
        text, found = self._read(self.prompt, self._deadline(timeout))
        self._prompted(found)
        if strip_prompt:
            return text[: len(text) - (found.end - found.start)]
        return text

    def _prompted(self, found: Found) -> None:
        if isinstance(self.prompt, ShellPrompt):
            self.last_status = ShellPrompt.status(found)
            self.shell_pid = ShellPrompt.pid(found) or self.shell_pid
        else:
            self.last_status = None

    # -- commands -------------------------------------------------------------------------

    def execute(self, command: str, timeout: float | None = None) -> CommandResult:
        """Type ``command``, read until the prompt: its output (stdout and stderr as the terminal
        shows them, together) and its status (from the prompt; None after a custom prompt).

        Output that was waiting unread is dropped first. At ``timeout``
        :class:`~.errors.ReadTimedOut`; the command keeps running
        (:meth:`interrupt` stops it).
        """
        deadline = self._deadline(timeout)
        self.read()
        line = command
        if "\n" in command.strip() and isinstance(self.prompt, ShellPrompt):
            line = "{ " + command.strip() + "\n}"
        self.write_line(line)
        text, found = self._read(self.prompt, deadline)
        self._prompted(found)
        output = text[: len(text) - (found.end - found.start)]
        if self.echo and output.startswith(line.split("\n")[0]):
            output = output.split("\n", 1)[1] if "\n" in output else ""
        return CommandResult(
            status=self.last_status,
            stdout_bytes=output.encode(),
            stderr_bytes=b"",
            command=self.redact(command),
            duration=deadline.timeout - deadline.remaining(),
        )

    def ping(self, timeout: float | None = None) -> None:
        """An empty line and its prompt: the shell is there (a broken one raises)."""
        self.read()
        self.write_line()
        self.read_until_prompt(timeout)

    # -- transcript and closing -----------------------------------------------------------

    @property
    def transcript(self) -> str:
        """The recent output (up to 64 KiB), secrets masked."""
        return self.redact("".join(self._transcript))

    def _stop_child(self) -> None:
        child, self._child = self._child, None
        if child is not None:
            with contextlib.suppress(OSError, pexpect.ExceptionPexpect):
                child.close(force=True)

    @property
    def cleanup_action(self) -> str:
        """Sessions are closed by a cleanup."""
        return "close"

    def cleanup_summary(self) -> str:
        """One line for cleanup reports."""
        return self.describe()

    def clean_up(self) -> bool:
        """Close the session; return whether it was open."""
        was = self._child is not None
        self.close()
        return was

    def close(self) -> None:
        """End the shell (and the owned terminal): the channel closes, the remote side hangs up."""
        self._stop_child()
        if self._reader is not None:
            self._reader.ended = True
        if self._owns_terminal:
            self.terminal.close()

    def __repr__(self) -> str:
        state = "open" if self.alive else "closed"
        return f"<InteractiveSession {self.describe()} {state}>"
