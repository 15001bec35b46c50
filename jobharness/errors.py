"""The one exception hierarchy of jobharness.

Every failure a user can meet is a :class:`JobHarnessError`. Messages say what
was asked, of which server, and what came back; they never carry secrets
(callers build them through :mod:`jobharness.redaction`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jobharness.jobs import Job


class JobHarnessError(Exception):
    """Base class of every error raised by jobharness.

    Robot Framework shows these messages without the class name in front:
    they already say what was asked, of which server, and what came back.
    """

    ROBOT_SUPPRESS_NAME = True


class ConfigurationError(JobHarnessError, ValueError):
    """A setting or an argument given to jobharness is not usable."""


class ValidationError(JobHarnessError, ValueError):
    """Input was rejected locally, before anything was sent.

    ``field`` names the offending part of the input (a dotted path such as
    ``commands[2].timeout``), so the message can point at it.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


class CleanupRefused(JobHarnessError):
    """A cleanup could not be done: the server refused it (a cancel not accepted, say)."""


class EmbeddedServerError(JobHarnessError):
    """An embedded server could not be started or stopped."""


class TransportError(JobHarnessError):
    """The request did not get a usable answer from the server."""

    def __init__(self, message: str, url: str | None = None) -> None:
        self.url = url
        super().__init__(message)


class ServerUnreachable(TransportError):
    """The server could not be reached at all (refused, DNS, TLS handshake).

    Nothing was sent, so any request may be tried again.
    """


class TLSFailed(ServerUnreachable):
    """The TLS handshake failed (certificate not trusted, protocol version refused, ...).

    Trying again would fail the same way, so it is never retried.
    """


class RequestTimedOut(TransportError):
    """The server did not answer within the request timeout or before the wait's deadline."""


class ConnectionLost(TransportError):
    """The connection broke (reset, or closed in the middle of a reply) after it was set up."""


class ProtocolError(TransportError):
    """The server answered with something the protocol does not allow.

    ``snippet`` holds the start of what came back, already redacted.
    """

    def __init__(self, message: str, url: str | None = None, snippet: str = "") -> None:
        self.snippet = snippet
        super().__init__(message, url)


class ServerError(TransportError):
    """The server answered with an error status.

    ``status`` is the HTTP status (or a protocol-specific code), ``body`` the
    redacted start of the answer and ``response`` the raw response object,
    when there is one.
    """

    def __init__(
        self,
        message: str,
        url: str | None = None,
        status: int | None = None,
        body: str = "",
        response: Any = None,
    ) -> None:
        self.status = status
        self.body = body
        self.response = response
        super().__init__(message, url)


class AuthenticationFailed(ServerError):
    """The server rejected the credentials (or asked for some)."""


class PermissionDenied(ServerError):
    """The server knows who is asking and refuses this to them (not a credential problem)."""


class NotFound(ServerError):
    """The server does not know the thing that was asked for."""


class JobError(JobHarnessError):
    """A job did not end the way the caller required."""

    def __init__(self, message: str, job: Job | None = None) -> None:
        self.job = job
        super().__init__(message)


class JobFailed(JobError):
    """A job ended in ``failed`` or ``error`` where success was required."""


class JobCancelled(JobError):
    """A job was cancelled where a result was required."""


class WaitTimeout(JobError):
    """A wait ran past its deadline.

    ``jobs`` are the jobs that were still unfinished, each with its last
    known state, so the message can report them.
    """

    def __init__(self, message: str, jobs: list[Job] | None = None) -> None:
        self.jobs = list(jobs or [])
        super().__init__(message, self.jobs[0] if self.jobs else None)
