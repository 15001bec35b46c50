"""The sandbox's errors: one class per HTTP status, all under :class:`SandboxError`.

The names follow pl-sandbox-api (``Sandbox400``, ``Sandbox503``, ...), so
code written against it keeps its ``except`` clauses. Unlike there, a status
with no class of its own still raises a :class:`SandboxError` (never a
``KeyError``), and every error carries the redacted start of the body.
"""

from __future__ import annotations

from typing import Any

from jobharness.errors import AuthenticationFailed, NotFound, ServerError
from jobharness.redaction import redact


class SandboxError(ServerError):
    """The sandbox answered with an unexpected HTTP status.

    ``status`` is the HTTP status, ``body`` the start of the answer and
    ``response`` the raw response: a :class:`requests.Response`, or for
    :class:`~jobharness.backends.sandbox.ASandbox` a record of the answer
    already read (``status``, ``reason``, ``url``, ``headers``, ``body``).
    """


class Sandbox400(SandboxError):
    """400 Bad Request: the config was refused (its reason is in ``body``)."""


class Sandbox401(SandboxError, AuthenticationFailed):
    """401 Unauthorized (a proxy in front of the sandbox asked for credentials)."""


class Sandbox403(SandboxError, AuthenticationFailed):
    """403 Forbidden (a proxy in front of the sandbox refused the request)."""


class Sandbox404(SandboxError, NotFound):
    """404 Not Found: no such environment, file or route."""


class Sandbox405(SandboxError):
    """405 Method Not Allowed."""


class Sandbox408(SandboxError):
    """408 Request Timeout (from a proxy)."""


class Sandbox413(SandboxError):
    """413 Payload Too Large (from a proxy)."""


class Sandbox429(SandboxError):
    """429 Too Many Requests (from a proxy)."""


class Sandbox500(SandboxError):
    """500 Internal Server Error: see :func:`~jobharness.backends.sandbox.validate_config`."""


class Sandbox502(SandboxError):
    """502 Bad Gateway (from a proxy)."""


class Sandbox503(SandboxError):
    """503: no container was free; the server refused before running anything."""


class Sandbox504(SandboxError):
    """504 Gateway Timeout (from a proxy)."""


STATUS_ERRORS: dict[int, type[SandboxError]] = {
    400: Sandbox400,
    401: Sandbox401,
    403: Sandbox403,
    404: Sandbox404,
    405: Sandbox405,
    408: Sandbox408,
    413: Sandbox413,
    429: Sandbox429,
    500: Sandbox500,
    502: Sandbox502,
    503: Sandbox503,
    504: Sandbox504,
}


def sandbox_error(
    status: int, message: str, *, url: str | None, body: str, response: Any
) -> SandboxError:
    """The error for an HTTP ``status``: its own class, or :class:`SandboxError` for others.

    ``message`` and ``body`` go through the credential patterns of
    :func:`~jobharness.redaction.redact`.
    """
    cls = STATUS_ERRORS.get(status, SandboxError)
    return cls(redact(message), url=url, status=status, body=redact(body), response=response)
