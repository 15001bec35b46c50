"""The densefog errors: one class per framework error code, app codes by range, table errors.

An action answered with a non-zero ``retCode`` raises the class of its code:

==========  ==============================================  ================================
retCode     class                                           also a
==========  ==============================================  ================================
4000        :class:`UnknownAction`
4100        :class:`InvalidRequestParameter`
4101        :class:`AccessKeyInvalid` (consumer apps)       ``AuthenticationFailed``
4103        :class:`ResourceNotBelongsToProject`            ``PermissionDenied``
4104        :class:`ResourceNotFound`                       ``NotFound``
4105        :class:`ResourceIsBusy`, :class:`ResourceIsDeleted`, :class:`ResourceIsInError`,
            or :class:`ResourceActionForbidden` (by the message)
4106        :class:`ResourceActionUnsupported`
4110        :class:`IllegalRequestFormat`
5000        :class:`InternalError`
5001        :class:`ProviderActionError`
other 4xxx  :class:`DensefogClientError`
other 5xxx  :class:`DensefogServerError`
==========  ==============================================  ================================

Every one carries ``code``, the server's ``message``, ``exception_tag`` (the
request's id in the server's logs), ``resource_id`` and the whole ``data``.
A client may map an app's own codes onto classes of its own (``errors=``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jobharness.backends.densefog import protocol
from jobharness.errors import (
    AuthenticationFailed,
    NotFound,
    PermissionDenied,
    ServerError,
    ServerUnreachable,
    TransportError,
)


class DensefogError(ServerError):
    """An action answered a non-zero ``retCode``.

    ``code`` is the retCode, ``message`` the server's message, ``data`` the
    envelope's data (a dict, or whatever came), ``exception_tag`` and
    ``resource_id`` its keys of those names (None when absent), ``action``
    the action that was called. ``status`` is the HTTP status (200).
    """

    def __init__(
        self,
        text: str,
        *,
        code: int,
        message: str | None,
        data: Any,
        action: str,
        url: str | None = None,
        body: str = "",
    ) -> None:
        super().__init__(text, url=url, status=200, body=body)
        self.code = code
        self.message = message
        self.data = data
        self.action = action
        extras = data if isinstance(data, dict) else {}
        tag, resource = extras.get(protocol.EXCEPTION_TAG), extras.get(protocol.RESOURCE_ID)
        self.exception_tag: str | None = tag if isinstance(tag, str) else None
        self.resource_id: str | None = None if resource is None else str(resource)

    @property
    def code_name(self) -> str:
        """The name of the code (``ResourceNotFound``), or its range."""
        return protocol.code_name(self.code)


class DensefogClientError(DensefogError):
    """A 4xxx code: the request was at fault (bad parameters, a missing or busy resource ...)."""


class DensefogServerError(DensefogError):
    """A 5xxx code: the service failed."""


class UnknownAction(DensefogClientError):
    """4000: the service has no such action (git HEAD also uses it for bad parameters)."""


class InvalidRequestParameter(DensefogClientError):
    """4100: a handler refused a parameter."""


class AccessKeyInvalid(DensefogClientError, AuthenticationFailed):
    """4101 (consumer apps): the access key and secret headers were refused."""


class ResourceNotBelongsToProject(DensefogClientError, PermissionDenied):
    """4103: the resource belongs to another project."""


class ResourceNotFound(DensefogClientError, NotFound):
    """4104: ``Resource (<id>) is not found``."""


class ResourceActionForbidden(DensefogClientError):
    """4105: the resource's state forbids the action."""


class ResourceIsBusy(ResourceActionForbidden):
    """4105: ``... because resource (<id>) is busy now.`` (its status ends in ``ing``)."""


class ResourceIsDeleted(ResourceActionForbidden):
    """4105: ``... because resource (<id>) is deleted.``."""


class ResourceIsInError(ResourceActionForbidden):
    """4105: ``... because resource (<id>) is in error.``."""


class ResourceActionUnsupported(DensefogClientError):
    """4106: the resource does not support the action."""


class IllegalRequestFormat(DensefogClientError):
    """4110: the body or the parameters failed the schema (``Illegal request format, ...``)."""


class InternalError(DensefogServerError):
    """5000: anything the service did not handle (``An error occurred ...``)."""


class ProviderActionError(DensefogServerError):
    """5001: the provider behind the service failed (``Action failed.op``)."""


ERROR_CLASSES: dict[int, type[DensefogError]] = {
    protocol.UNKNOWN_ACTION: UnknownAction,
    protocol.INVALID_REQUEST_PARAMETER: InvalidRequestParameter,
    protocol.ACCESS_KEY_INVALID: AccessKeyInvalid,
    protocol.RESOURCE_NOT_BELONGS_TO_PROJECT: ResourceNotBelongsToProject,
    protocol.RESOURCE_NOT_FOUND: ResourceNotFound,
    protocol.RESOURCE_ACTION_FORBIDDEN: ResourceActionForbidden,
    protocol.RESOURCE_ACTION_UNSUPPORTED: ResourceActionUnsupported,
    protocol.ILLEGAL_REQUEST_FORMAT: IllegalRequestFormat,
    protocol.INTERNAL_ERROR: InternalError,
    protocol.PROVIDER_ACTION_ERROR: ProviderActionError,
}

_FORBIDDEN: dict[str, type[DensefogError]] = {
    "busy": ResourceIsBusy,
    "deleted": ResourceIsDeleted,
    "error": ResourceIsInError,
}


def error_class(
    code: int, message: str | None, extra: Mapping[int, type[DensefogError]] | None = None
) -> type[DensefogError]:
    """The class for ``code``: an app's own first, then densefog's, then by range."""
    if extra and code in extra:
        return extra[code]
    if code == protocol.RESOURCE_ACTION_FORBIDDEN:
        reason = protocol.forbidden_reason(message)
        if reason is not None:
            return _FORBIDDEN[reason]
    if code in ERROR_CLASSES:
        return ERROR_CLASSES[code]
    if 4000 <= code < 5000:
        return DensefogClientError
    if 5000 <= code < 6000:
        return DensefogServerError
    return DensefogError


class JobNotFound(NotFound):
    """A job id that the jobs action or the job table does not know."""


class JobTableError(TransportError):
    """The job table could not be read (a database error, a missing table, a bad row)."""


class JobTableUnreachable(ServerUnreachable):
    """The job table's database could not be reached (nothing was read)."""
