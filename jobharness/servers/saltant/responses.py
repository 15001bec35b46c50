"""Responses and errors as the saltant server renders them (DRF's JSON renderer)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from werkzeug.wrappers import Response

JSON_TYPE = "application/json"


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """``body`` as compact JSON, like DRF's renderer."""
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    return Response(text, status=status, headers=dict(headers or {}), content_type=JSON_TYPE)


class ApiError(Exception):
    """An error answer with a JSON body (400, 401, 403, 404, 405, 415)."""

    def __init__(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body
        self.headers = dict(headers or {})

    def response(self) -> Response:
        """The error as an HTTP response."""
        return json_response(self.body, self.status, self.headers)


class ServerFault(Exception):
    """What is an unhandled server error upstream.

    Upstream answers it with a 500 HTML page on GET; on any other method its
    error view (which only has ``get``) turns it into a 405 with an empty
    ``text/html`` body. The app renders it that way.
    """


def detail(status: int, message: str) -> ApiError:
    """An error whose body is ``{"detail": message}``."""
    return ApiError(status, {"detail": message})


def not_found() -> ApiError:
    """404 for an unknown id, UUID or username."""
    return detail(404, "Not found.")


def method_not_allowed(method: str) -> ApiError:
    """405 for a method the resource does not take."""
    return detail(405, f'Method "{method}" not allowed.')


def bad_request(errors: Mapping[str, list[str]]) -> ApiError:
    """400 with field errors (``{"field": ["message", ...]}``)."""
    return ApiError(400, dict(errors))


def non_field_error(message: str) -> ApiError:
    """400 with one object-level error, stringified like a Python list as upstream does."""
    return ApiError(400, {"non_field_errors": [repr([message])]})


def fault_response(method: str) -> Response:
    """How upstream shows an unhandled error for ``method`` (see :class:`ServerFault`)."""
    if method in ("GET", "HEAD"):
        return Response("<h1>Server Error (500)</h1>", status=500, content_type="text/html")
    return Response(b"", status=405, content_type="text/html; charset=utf-8")


def html_not_found() -> Response:
    """404 for a URL outside the API (an HTML page, as Django renders it)."""
    return Response(
        "<h1>Not Found</h1><p>The requested resource was not found on this server.</p>",
        status=404,
        content_type="text/html",
    )
