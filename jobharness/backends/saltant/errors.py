"""The saltant errors, mirroring saltant-py's exceptions inside the jobharness tree.

=========================  ==================================================
saltant-py                 jobharness
=========================  ==================================================
``BadEnvironmentError``    :class:`BadEnvironmentError` (a ``ConfigurationError``)
``BadHttpRequestError``    :class:`BadHttpRequestError` (a ``ServerError``), with
                           a structured ``.status`` and ``.body``
``AuthenticationError``    :class:`AuthenticationError` (also ``AuthenticationFailed``)
(a 403 ``permission``)     :class:`SaltantPermissionDenied` (also ``PermissionDenied``):
                           the credentials are good, the action is not allowed
``IndexError`` on a name   :class:`SaltantNotFound` (also ``NotFound``)
=========================  ==================================================
"""

from __future__ import annotations

import requests

from jobharness.errors import (
    AuthenticationFailed,
    ConfigurationError,
    NotFound,
    PermissionDenied,
    ServerError,
)
from jobharness.redaction import Redactor, snippet

PERMISSION_DENIED = "You do not have permission to perform this action."
"""The ``detail`` of saltant's 403 for an action refused to a known user."""


class SaltantError(ServerError):
    """Base class of the errors a saltant server's answers cause."""


class BadHttpRequestError(SaltantError):
    """The server answered a status other than the one the request expects.

    ``status`` is the HTTP status, ``body`` the redacted start of the answer.
    """


class AuthenticationError(BadHttpRequestError, AuthenticationFailed):
    """The server rejected the credentials (saltant answers 403 for that, 401 only on login)."""


class SaltantPermissionDenied(BadHttpRequestError, PermissionDenied):
    """The server accepted the credentials but refuses the action to this user.

    saltant answers 403 ``You do not have permission to perform this action.``,
    for example to a PUT or PATCH on a type, queue or whitelist another user owns.
    """


class SaltantNotFound(BadHttpRequestError, NotFound):
    """No object matches: an unknown id, UUID, username or name.

    ``clone`` and ``terminate`` of an unknown UUID make the server fail with
    405 and an empty body; those are reported as this error too, saying so.
    """


class BadEnvironmentError(ConfigurationError):
    """A setting the client needs is missing from the environment."""


def error_for_response(response: requests.Response, message: str, redact: Redactor) -> SaltantError:
    """The saltant error for an unexpected status, message and body redacted."""
    body = redact(snippet(response.text))
    cls: type[SaltantError] = BadHttpRequestError
    if response.status_code == 403 and PERMISSION_DENIED in response.text:
        cls = SaltantPermissionDenied
    elif response.status_code in (401, 403):
        cls = AuthenticationError
    elif response.status_code == 404:
        cls = SaltantNotFound
    return cls(
        redact(message),
        url=redact(response.url),
        status=response.status_code,
        body=body,
        response=response,
    )
