"""The densefog-style framework of the embedded service: routing by action, the envelope, guards.

``POST /`` takes a JSON object whose ``action`` names the handler (exact,
case-sensitive); every answer is HTTP 200 with ``{data, retCode, message}``.
``GET /`` answers the plain-text banner; any other path is an HTML 404 and
any other method an HTML 405, as Flask's. The guards answer as densefog's:
the :class:`HandleError` subclasses below carry their retCode and data, any
other exception is 5000 ``An error occurred while processing your request.``,
and every error's data has the request's ``exceptionTag`` (plus the traceback
as ``exceptionStr`` with ``debug``).

A handler takes one :class:`ActionRequest` and returns JSON-serialisable data
(datetimes become ``YYYY-MM-DDTHH:MM:SSZ``, sets lists).
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jsonschema
import jsonschema.exceptions
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from jobharness.backends.densefog import protocol
from jobharness.servers.densefog.jobs import JobStore
from jobharness.servers.densefog.store import Database, Row

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

log = logging.getLogger("jobharness.servers.densefog")

ENVELOPE_SCHEMA = {
    "type": "object",
    "properties": {"action": {"type": "string"}},
    "required": ["action"],
}
KEY_HEADER, SECRET_HEADER = "X-Le-Key", "X-Le-Secret"
ACCESS_KEY_INVALID_MESSAGE = "Access key is invalid."


# -- errors a handler raises --------------------------------------------------------------------


class HandleError(Exception):
    """An error answered as ``retCode`` with ``message`` and ``data`` (densefog's HandleError)."""

    def __init__(self, message: str, ret_code: int, data: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.ret_code = ret_code
        self.data = dict(data or {})


class ValidationError(HandleError):
    """4110: ``Illegal request format, <detail>.``."""

    def __init__(self, detail: str) -> None:
        super().__init__(protocol.illegal_format_message(detail), protocol.ILLEGAL_REQUEST_FORMAT)


class InvalidRequestParameter(HandleError):
    """4100: a parameter a handler refuses."""

    def __init__(self, message: str) -> None:
        super().__init__(message, protocol.INVALID_REQUEST_PARAMETER)


class ProviderActionError(HandleError):
    """5001: ``Action failed.op`` (the details only in the log)."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(protocol.PROVIDER_MESSAGE, protocol.PROVIDER_ACTION_ERROR)
        self.detail = detail


class ResourceError(HandleError):
    """A resource guard's error: its data holds the ``resourceId``."""

    def __init__(self, message: str, ret_code: int, resource_id: str) -> None:
        super().__init__(message, ret_code, {protocol.RESOURCE_ID: resource_id})


def resource_not_found(resource_id: str) -> ResourceError:
    """4104 ``Resource (<id>) is not found``."""
    return ResourceError(
        protocol.not_found_message(resource_id), protocol.RESOURCE_NOT_FOUND, resource_id
    )


def resource_refused(resource_id: str, reason: protocol.ForbiddenReason) -> ResourceError:
    """4105 ``Can not do action, because resource (<id>) is busy now.`` (deleted, in error)."""
    message = protocol.refused_message(resource_id, reason)
    return ResourceError(message, protocol.RESOURCE_ACTION_FORBIDDEN, resource_id)


def not_belongs_to_project(resource_id: str) -> ResourceError:
    """4103 ``You have no permission on this resource (<id>)``."""
    return ResourceError(
        protocol.no_permission_message(resource_id),
        protocol.RESOURCE_NOT_BELONGS_TO_PROJECT,
        resource_id,
    )


def unsupported(resource_id: str) -> ResourceError:
    """4106 ``Resource (<id>) action is supported.`` (sic)."""
    return ResourceError(
        protocol.unsupported_message(resource_id),
        protocol.RESOURCE_ACTION_UNSUPPORTED,
        resource_id,
    )


def must_be_available(row: Row | None, resource_id: str, project_id: str) -> Row:
    """densefog's guards in order: exists (4104), belongs to the project (4103), not busy,
    not deleted, not in error (4105)."""
    if row is None:
        raise resource_not_found(resource_id)
    if row.get("project_id") != project_id:
        raise not_belongs_to_project(resource_id)
    status = row.get("status")
    if protocol.is_busy(status):
        raise resource_refused(resource_id, "busy")
    if protocol.is_deleted(status):
        raise resource_refused(resource_id, "deleted")
    if status == protocol.ERROR_STATUS:
        raise resource_refused(resource_id, "error")
    return row


def validate(params: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` checked against a JSON schema (densefog's ``validate_request``); 4110 if not."""
    validator = jsonschema.Draft4Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(params))
    if error is not None:
        raise ValidationError(error.message)
    return dict(params)


# -- requests and the application -------------------------------------------------------------


@dataclass
class ActionRequest:
    """What a handler gets: the params (``action`` included), the project, the stores."""

    action: str
    params: dict[str, Any]
    project_id: str
    db: Database
    jobs: JobStore
    tag: str
    access_key: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


Handler = Callable[[ActionRequest], Any]


def _jsonable(value: Any) -> Any:
    import datetime as dt

    if isinstance(value, dt.datetime):
        return protocol.format_time(value)
    if hasattr(value, "jsonable"):
        return value.jsonable()
    if isinstance(value, (set, frozenset, tuple)) or (
        isinstance(value, Iterable) and not isinstance(value, (str, bytes, Mapping))
    ):
        return list(value)
    if hasattr(value, "__dict__"):
        return vars(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class DensefogApi:
    """The WSGI application: ``actions`` by name, jobs in ``jobs``, optional access keys.

    ``access_keys`` maps a key to ``(secret, project_id)``; with it, every
    action needs the ``X-Le-Key`` and ``X-Le-Secret`` headers (4101 otherwise),
    as icebox and rainbow ask; without, requests belong to the system project.
    """

    def __init__(
        self,
        actions: Mapping[str, Handler],
        db: Database,
        jobs: JobStore,
        *,
        debug: bool = False,
        access_keys: Mapping[str, tuple[str, str]] | None = None,
        banner: str = protocol.BANNER,
    ) -> None:
        self.actions = dict(actions)
        self.db = db
        self.jobs = jobs
        self.debug = debug
        self.access_keys = dict(access_keys or {})
        self.banner = banner
        self.url_map = Map([Rule("/", endpoint="root", methods=["GET", "POST", "OPTIONS"])])

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        try:
            self.url_map.bind_to_environ(environ).match()
        except HTTPException as exc:
            return exc.get_response(environ)(environ, start_response)
        if request.method == "OPTIONS":
            response = Response(status=200, headers={"Allow": "GET, HEAD, OPTIONS, POST"})
        elif request.method in ("GET", "HEAD"):
            response = Response(self.banner, content_type="text/plain; charset=utf-8")
        else:
            response = self.post(request)
        return response(environ, start_response)

    def post(self, request: Request) -> Response:
        """Run the action the body names; answer its envelope."""
        tag = f"ctx-{threading.get_ident()}-{protocol.new_id('x', 4)[2:]}"
        data: Any
        try:
            body = self._body(request)
            action = body["action"]
            handler = self.actions.get(action)
            if handler is None:
                raise HandleError(protocol.unknown_action_message(action), protocol.UNKNOWN_ACTION)
            project_id, key = self._project(request)
            call = ActionRequest(
                action, body, project_id, self.db, self.jobs, tag, key, dict(request.headers)
            )
            data = handler(call)
            code, message = protocol.OK, None
        except HandleError as exc:
            code, message, data = exc.ret_code, exc.message, self._error_data(exc, tag)
            log.info("%s %s -> %s %s", tag, exc.__class__.__name__, code, message)
        except Exception as exc:
            log.exception("%s unhandled error", tag)
            code, message = protocol.INTERNAL_ERROR, protocol.INTERNAL_MESSAGE
            data = self._error_data(exc, tag)
        return self._envelope(request, code, message, data)

    def _body(self, request: Request) -> dict[str, Any]:
        try:
            body = json.loads(request.get_data(cache=False) or b"null")
        except ValueError:
            if self.debug:
                raise RuntimeError("400 Bad Request: Failed to decode JSON object") from None
            body = None
        error = jsonschema.exceptions.best_match(
            jsonschema.Draft4Validator(ENVELOPE_SCHEMA).iter_errors(body)
        )
        if error is not None:
            raise ValidationError(error.message)
        assert isinstance(body, dict)
        return body

    def _project(self, request: Request) -> tuple[str, str | None]:
        if not self.access_keys:
            return protocol.SYSTEM_PROJECT, None
        key, secret = request.headers.get(KEY_HEADER), request.headers.get(SECRET_HEADER)
        known = self.access_keys.get(key or "")
        if known is None or not secrets.compare_digest(known[0], secret or ""):
            raise HandleError(ACCESS_KEY_INVALID_MESSAGE, protocol.ACCESS_KEY_INVALID)
        return known[1], key

    def _error_data(self, exc: BaseException, tag: str) -> dict[str, Any]:
        data = dict(exc.data) if isinstance(exc, HandleError) else {}
        data[protocol.EXCEPTION_TAG] = tag
        if self.debug and not isinstance(exc, ValidationError):
            data[protocol.EXCEPTION_STR] = "".join(traceback.format_exception(exc))
        return data

    def _envelope(self, request: Request, code: int, message: str | None, data: Any) -> Response:
        pretty = "pretty" in request.args
        try:
            text = self._dumps({"data": data, "retCode": code, "message": message}, pretty)
        except (TypeError, ValueError):
            log.exception("the answer of %s cannot be serialised", request.path)
            fallback = {"data": {}, "retCode": protocol.INTERNAL_ERROR, "message": message}
            text = self._dumps(fallback, pretty)
        return Response(text, status=200, content_type="application/json; charset=utf-8")

    @staticmethod
    def _dumps(payload: Mapping[str, Any], pretty: bool) -> str:
        if pretty:
            return json.dumps(payload, default=_jsonable, indent=2, sort_keys=True)
        return json.dumps(payload, default=_jsonable)
