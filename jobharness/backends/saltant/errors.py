"""The saltant errors, mirroring saltant-py's exceptions inside the jobharness tree.

=========================  ==================================================
saltant-py                 jobharness
=========================  ==================================================
``BadEnvironmentError``    :class:`BadEnvironmentError` (a ``ConfigurationError``)
``BadHttpRequestError``    :class:`BadHttpRequestError` (a ``ServerError``), with
                           a structured ``.status`` and ``.body``
``AuthenticationError``    :class:`AuthenticationError` (also ``AuthenticationFailed``)
``IndexError`` on a name   :class:`SaltantNotFound` (also ``NotFound``)
=========================  ==================================================
"""

from __future__ import annotations

import requests

from jobharness.errors import AuthenticationFailed, ConfigurationError, NotFound, ServerError
from jobharness.redaction import Redactor, snippet


class SaltantError(ServerError):
    """Base class of the errors a saltant server's answers cause."""


class BadHttpRequestError(SaltantError):
    """The server answered a status other than the one the request expects.

    ``status`` is the HTTP status, ``body`` the redacted start of the answer.
    """


class AuthenticationError(BadHttpRequestError, AuthenticationFailed):
    """The server rejected the credentials (saltant answers 403 for that, 401 only on login)."""


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
    if response.status_code in (401, 403):
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
