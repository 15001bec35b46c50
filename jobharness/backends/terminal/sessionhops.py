"""The prompts of an interactive session: the forced marker prompt, and a route's prompt hops.

:class:`ShellPrompt` is the prompt a session forces on every shell:
``<marker>[<status>:<pid>]> ``, the marker unique to the session, the last
command's status and the shell's PID expanded by the shell itself.

For each :class:`~jobharness.backends.terminal.spec.PromptHop` after the
ssh part, the session types the hop's ``command`` and reads what it
prints: a hop's failure pattern, or a question asked again after its
answer, is :class:`~jobharness.backends.terminal.errors.AuthRefused`; an
answer's question gets its reply (a secret reply is typed, never shown,
and masked from then on); the hop's own ``prompt`` (a REPL's ``>>> ``)
ends the step. Otherwise the new shell is recognised by a prompt-like end
of output (``$``, ``#``, ``%`` or ``>``, the one heuristic, used only
here), or by half a second of quiet after it printed something; the
session then forces its marker prompt on it and checks, from the PID in
the prompt, that a new shell really started.
"""

from __future__ import annotations

import re
import shlex
import time
from typing import TYPE_CHECKING

from jobharness.backends.terminal.errors import ReadTimedOut, TerminalError
from jobharness.backends.terminal.prompts import Responder
from jobharness.backends.terminal.reading import Found, Regexp
from jobharness.backends.terminal.spec import PromptHop
from jobharness.deadline import Deadline
from jobharness.redaction import snippet

if TYPE_CHECKING:
    from jobharness.backends.terminal.interactive import InteractiveSession

SHELL_PROMPT = re.compile(r"[$#%>] ?$")
"""The end of a shell's default prompt, before the session forces its own."""
QUIET = 0.5
"""Seconds of quiet after output that make the session take it for a prompt."""
SEEN_LIMIT = 4096


class ShellPrompt(Regexp):
    """The marker prompt a session forces: ``<marker>[<status>:<pid>]> ``."""

    def __init__(self, marker: str) -> None:
        super().__init__(
            re.escape(marker) + r"\[(\d+|\$\?):(\d+|\$\$)\]> ", window=len(marker) + 32
        )
        self.marker = marker

    @staticmethod
    def status(found: Found) -> int | None:
        """The status of the last command, from the prompt."""
        value = found.match.group(1) if found.match else ""
        return int(value) if value.isdigit() else None

    @staticmethod
    def pid(found: Found) -> int | None:
        """The PID of the shell that printed the prompt."""
        value = found.match.group(2) if found.match else ""
        return int(value) if value.isdigit() else None

    def describe(self) -> str:
        """``the prompt``."""
        return "the prompt"


def enter(session: InteractiveSession, hop: PromptHop, deadline: Deadline) -> None:
    """Type ``hop``'s command into ``session`` and settle in the shell (or REPL) it starts."""
    responder = Responder((hop,), session.redact)
    before = session.shell_pid
    session.write_line(hop.command)
    seen = ""
    quiet_since = time.monotonic()
    own_prompt = Regexp(hop.prompt) if hop.prompt else None
    while True:
        text = session.read_chunk(deadline)
        if text:
            quiet_since = time.monotonic()
            seen = (seen + text)[-SEEN_LIMIT:]
            replies = responder.feed(text)
            if replies:
                for reply in replies:
                    session.write(reply.decode())
                seen = ""
                continue
        if own_prompt is not None and own_prompt.search(seen):
            session.set_prompt(hop.prompt)
            session.last_status = None
            return
        quiet = seen.strip() and time.monotonic() - quiet_since >= QUIET
        if own_prompt is None and (SHELL_PROMPT.search(seen) or quiet):
            printed = session.force_prompt(deadline)
            responder.feed(printed)  # a failure shown meanwhile (a wrong password) raises
            if before is not None and session.shell_pid == before:
                raise TerminalError(
                    f"{session.describe()}: {hop.describe()} did not start a new shell; it "
                    f"printed: {session.redact(snippet(seen + printed)) or '(nothing)'}"
                )
            return
        if deadline.expired:
            printed = session.redact(snippet(seen)) or "(nothing)"
            raise ReadTimedOut(
                f"{session.describe()}: {hop.describe()} showed no prompt within "
                f"{deadline.timeout:g} s; it printed: {printed}",
                session.redact(seen),
            )


def setup_lines(init_env: str | None, workdir: str | None) -> list[str]:
    """The shell lines that apply a route's ``init_env`` and ``workdir`` in a session."""
    lines = []
    if init_env:
        if init_env.startswith("content:"):
            lines.append(init_env[len("content:") :].strip())
        else:
            lines.append(f". {shlex.quote(init_env)}")
    if workdir:
        lines.append(f"cd -- {shlex.quote(workdir)}")
    return lines
