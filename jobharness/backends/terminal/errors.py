"""The terminal errors, inside the shared tree of :mod:`jobharness.errors`.

==============================  ===========================================================
error                           when
==============================  ===========================================================
:class:`TerminalUnreachable`    the target could not be reached (refused, no route, DNS,
                                connect timeout); also a ``ServerUnreachable``
:class:`HostKeyUnknown`         the host key is not in the known-hosts file (strict policy)
:class:`HostKeyChanged`         the host key differs from the known one (any policy)
:class:`AuthRefused`            a login or a prompt hop refused the credentials; also an
                                ``AuthenticationFailed``
:class:`CommandTimedOut`        a command ran past its timeout and was killed; ``result``
                                holds what it printed and how it ended
:class:`CommandFailed`          a command ended with a status the caller did not accept
:class:`SessionBroken`          the connection went away while it was used; also a
                                ``ConnectionLost``
:class:`TransferFailed`         a file copy could not be done
:class:`NeedsInteractiveSession`  a route has a hop only a terminal can pass
:class:`ReadTimedOut`           an interactive session did not show what a read waited for
                                in time; ``output`` holds what it showed
:class:`SessionInitializationFailed`  an auto-recovering terminal could not be opened in
                                its tries (crl's name)
==============================  ===========================================================

Messages say what was asked, of which route, and what came back, with the
route's secrets masked; they are built by the client's ``Redactor``.
"""

from __future__ import annotations

import signal as signals
from typing import TYPE_CHECKING

from jobharness.errors import (
    AuthenticationFailed,
    ConfigurationError,
    ConnectionLost,
    JobHarnessError,
    ServerUnreachable,
)

if TYPE_CHECKING:
    from jobharness.backends.terminal.results import CommandResult


class TerminalError(JobHarnessError):
    """Base class of the terminal backend's errors."""


class TerminalUnreachable(TerminalError, ServerUnreachable):
    """The target (or a jump host on the way) could not be reached; nothing was run."""


class HostKeyError(TerminalUnreachable):
    """The server's host key was not accepted; trying again fails the same way."""


class HostKeyUnknown(HostKeyError):
    """The host key is not in the known-hosts file and the policy is ``strict``."""


class HostKeyChanged(HostKeyError):
    """The host key differs from the one in the known-hosts file."""


class AuthRefused(TerminalError, AuthenticationFailed):
    """A login (or a prompt hop such as ``sudo``) refused the credentials."""


class SessionBroken(TerminalError, ConnectionLost):
    """The connection to the target went away while it was in use."""


class TransferFailed(TerminalError):
    """A file copy to, from or between targets failed."""


class NeedsInteractiveSession(TerminalError, ConfigurationError):
    """The route has a hop that only a terminal can pass (a password ``ssh``, a REPL)."""


class ReadTimedOut(TerminalError):
    """An interactive session did not show what a read waited for within its timeout.

    ``output`` is what the session showed meanwhile (secrets masked); it stays
    in the session's buffer for the next read.
    """

    def __init__(self, message: str, output: str = "") -> None:
        self.output = output
        super().__init__(message)


class SessionInitializationFailed(TerminalError):
    """An auto-recovering terminal could not be opened within its tries (crl's name)."""


class CommandError(TerminalError):
    """A command did not end the way the caller required; ``result`` says how it ended."""

    def __init__(self, message: str, result: CommandResult | None = None) -> None:
        self.result = result
        super().__init__(message)


class CommandTimedOut(CommandError):
    """A command ran past its timeout; its process group was killed."""


class CommandFailed(CommandError):
    """A command ended with a status other than the one required."""


def signal_number(signal: str | int) -> int:
    """The number of a signal given by name (``TERM``, ``SIGKILL``) or number."""
    name = str(signal).strip().upper().removeprefix("SIG")
    try:
        return int(signals.Signals(int(name) if name.isdigit() else signals.Signals[f"SIG{name}"]))
    except (KeyError, ValueError):
        raise TerminalError(f"signal must be a signal name or number, got {signal!r}") from None
