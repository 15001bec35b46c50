"""crl's exception family for the remote Python agent, inside jobharness's error tree.

==================================  ===============================================
error                               when
==================================  ===============================================
:class:`RunnerException`            base of the family (a ``TerminalError``)
:class:`RunnerTerminalSessionClosed`  a call on a runner that is closed or was never
                                    initialized
:class:`RunnerTerminalSessionBroken`  the agent, its shell or the connection went away
                                    (end of file, or a heartbeat not answered); also a
                                    ``SessionBroken``
:class:`SessionInitializationFailed`  the agent could not be started (or ``prepare``
                                    failed) within the time allowed
:class:`UnableToDeserialize`        a reply that is not valid data (crl's
                                    ``RunnerTerminalUnableToDeserialize``); also a
                                    ``ProtocolError``
:class:`RemoteTimeout`              no reply within the call's timeout; its
                                    ``response_id`` fetches the reply later. Also
                                    the handle an asynchronous call returns
:class:`InvalidProxySession`        a proxy from an earlier connection, or an empty one
:class:`RemoteError`                the remote code raised; a subclass of the matching
                                    builtin too (``except KeyError`` works)
==================================  ===============================================
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from jobharness.backends.terminal import errors
from jobharness.backends.terminal.errors import SessionBroken, TerminalError
from jobharness.errors import ProtocolError, RequestTimedOut

if TYPE_CHECKING:
    from jobharness.backends.terminal.agentjob import RemoteCall
    from jobharness.backends.terminal.wire import ErrorInfo


class RunnerException(TerminalError):
    """Base class of the remote Python runner's errors (crl's name)."""


class RunnerTerminalSessionClosed(RunnerException):
    """The runner is closed, or was never initialized: nothing was sent."""


class RunnerTerminalSessionBroken(RunnerException, SessionBroken):
    """The agent, its shell or the connection went away while the runner used it."""


class SessionInitializationFailed(RunnerException, errors.SessionInitializationFailed):
    """The agent could not be started and prepared within the time allowed.

    Also the terminal's :class:`~jobharness.backends.terminal.errors.SessionInitializationFailed`,
    so one ``except`` catches a terminal and a runner that could not be opened.
    """


class UnableToDeserialize(RunnerException, ProtocolError):
    """The agent sent something that is not valid data; nothing of it was used."""


RunnerTerminalUnableToDeserialize = UnableToDeserialize
"""crl's name of :class:`UnableToDeserialize`."""


class InvalidProxySession(RunnerException):
    """A proxy made on an earlier connection (before a recovery), or an empty proxy."""


class RemoteTimeout(RunnerException, RequestTimedOut):
    """No reply within the call's timeout, or the handle of an asynchronous call.

    ``response_id`` identifies the call for
    :meth:`~jobharness.backends.terminal.runner.RunnerTerminal.get_response`
    (or a proxy's ``get_remote_proxy_response``); ``call`` is the same call
    as a :class:`~jobharness.backends.terminal.agentjob.RemoteCall` job.
    ``response_wrap`` turns the reply into what the original call returns.
    """

    def __init__(self, response_id: Any, call: RemoteCall | None = None, what: str = "") -> None:
        self.response_id = response_id
        self.call = call
        self.what = what
        self.response_wrap: Callable[[Any], Any] = lambda response: response
        super().__init__(str(response_id))

    def add_response_wrap(self, response_wrap: Callable[[Any], Any]) -> None:
        """Apply ``response_wrap`` after the wraps already added."""
        inner = self.response_wrap
        self.response_wrap = lambda response: response_wrap(inner(response))

    def __str__(self) -> str:
        what = f" to {self.what}" if self.what else ""
        return (
            f"no reply{what} yet (response {self.response_id}); "
            "get_remote_proxy_response(...) or .call.wait(...) fetches it later"
        )


class RemoteError(RunnerException):
    """An exception raised by the remote code, carried back as data.

    ``remote_type`` is its qualified class name, ``remote_message`` its text
    and ``remote_traceback`` the formatted remote traceback (crl's ``trace``
    holds its lines). Built by :func:`remote_error`, which also makes it an
    instance of the matching builtin exception.
    """

    remote_type = "Exception"
    remote_message = ""
    remote_traceback = ""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""

    @property
    def trace(self) -> list[str]:
        """The remote traceback's lines (crl's attribute)."""
        return self.remote_traceback.splitlines(keepends=True)


_BUILTIN_ERRORS: dict[str, type[RemoteError]] = {}


def _error_class(builtin: str) -> type[RemoteError]:
    """``RemoteError`` and the builtin exception ``builtin`` together, when they can be."""
    import builtins

    if builtin in _BUILTIN_ERRORS:
        return _BUILTIN_ERRORS[builtin]
    base = getattr(builtins, builtin, None)
    cls: type[RemoteError] = RemoteError
    if isinstance(base, type) and issubclass(base, Exception) and base is not Exception:
        try:
            candidate = type(f"Remote{builtin}", (RemoteError, base), {"__module__": __name__})
            candidate("check")
            cls = candidate
        except TypeError:
            cls = RemoteError
    _BUILTIN_ERRORS[builtin] = cls
    return cls


def remote_error(info: ErrorInfo, what: str, where: str) -> RemoteError:
    """The local exception for a remote one: ``what`` was asked of ``where``."""
    error = _error_class(info.builtin)(f"{what} on {where} raised {info.qualified}: {info.message}")
    error.remote_type = info.qualified
    error.remote_message = info.message
    error.remote_traceback = info.traceback
    return error
