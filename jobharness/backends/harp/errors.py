"""The harp errors, inside the jobharness exception tree.

* :class:`RemoteException`: the remote procedure itself raised (harp ``exception``);
  a :class:`~jobharness.errors.JobFailed`.
* :class:`RemoteError`: an operational failure reported by the dispatcher or
  harpd (harp ``error``: unknown host, login refused, timeout, lost job ...);
  also a :class:`~jobharness.errors.JobFailed`. Two refinements carry the shared
  classes too: :class:`RemoteAuthError` is an
  :class:`~jobharness.errors.AuthenticationFailed`, :class:`UnknownJob` a
  :class:`~jobharness.errors.NotFound`.
* :class:`CancelledException`: a result was asked of a cancelled call.
* :data:`CommunicationError`: the seed client's name for "could not talk to the
  server"; here it is :class:`~jobharness.errors.TransportError` itself, so
  every connection, timeout and protocol failure is one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jobharness.errors import (
    AuthenticationFailed,
    JobCancelled,
    JobFailed,
    NotFound,
    TransportError,
)

if TYPE_CHECKING:
    from jobharness.jobs import Job

CommunicationError = TransportError


class RemoteFailure(JobFailed):
    """Base of the failures a harp peer reports: ``type``, ``message`` and ``data`` as sent.

    ``context`` says where it came from (``harp job <id> (local.add)`` or
    ``harpd at tls://host:port, procedure add``) and opens the exception text.
    """

    kind = "failure"

    def __init__(
        self,
        type: str,
        message: str,
        data: Any = None,
        *,
        context: str = "",
        job: Job | None = None,
    ) -> None:
        self.type = type
        self.message = message
        self.data = data
        self.context = context
        text = f"{self.kind} {type}: {message}" if message else f"{self.kind} {type}"
        super().__init__(f"{context}: {text}" if context else text, job)


class RemoteException(RemoteFailure):
    """The remote procedure raised an exception (``type`` is its class name)."""

    kind = "remote exception"


class RemoteError(RemoteFailure):
    """The dispatcher or harpd reported an operational error (``type`` is the error code)."""

    kind = "remote error"


class RemoteAuthError(RemoteError, AuthenticationFailed):
    """harpd refused the user name or password (``auth_error``)."""


class UnknownJob(RemoteError, NotFound):
    """The dispatcher does not know the job id (``invalid_jobid``)."""


class CancelledException(JobCancelled):
    """The call was cancelled, so it has no result."""


ERROR_CLASSES: dict[str, type[RemoteError]] = {
    "auth_error": RemoteAuthError,
    "invalid_jobid": UnknownJob,
}


def remote_error(
    type: str,
    message: str,
    data: Any = None,
    *,
    context: str = "",
    job: Job | None = None,
) -> RemoteError:
    """The :class:`RemoteError` (or refinement) for an ``error`` object."""
    cls = ERROR_CLASSES.get(type, RemoteError)
    return cls(type, message, data, context=context, job=job)
