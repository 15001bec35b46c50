"""Responses shaped like the real sandbox's: JSON, plain-text app errors, minimal HTML pages.

The real server is a Django app with ``DEBUG=False``: errors raised by the app
carry a plain-text message labelled ``text/html; charset=utf-8``, and errors of
the framework itself (unknown route, unexpected exception, oversized form) are
a minimal HTML page with no details.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from werkzeug.wrappers import Response

HTML = "text/html; charset=utf-8"

# HTTP methods in the order the real server lists them in ``Allow``.
METHOD_ORDER = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE")

_PAGES = {
    400: ("Bad Request (400)", "Bad Request (400)", ""),
    404: ("Not Found", "Not Found", "The requested resource was not found on this server."),
    500: ("Server Error (500)", "Server Error (500)", ""),
}


class AppError(Exception):
    """An error the app reports itself: a status and a plain-text message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class ServerFault(Exception):
    """A failure the real server turns into its generic HTML 500 page.

    The message is for the server log only; the client sees no details.
    """


def text_error(status: int, message: str) -> Response:
    """A plain-text error labelled as HTML, as the real app sends them."""
    return Response(message, status=status, content_type=HTML)


def html_page(status: int) -> Response:
    """The framework's minimal HTML page for ``status`` (400, 404 or 500)."""
    title, heading, text = _PAGES[status]
    paragraph = f"<p>{text}</p>"
    body = (
        '<!doctype html>\n<html lang="en">\n<head>\n'
        f"  <title>{title}</title>\n</head>\n<body>\n"
        f"  <h1>{heading}</h1>{paragraph}\n</body>\n</html>\n"
    )
    return Response(body, status=status, content_type=HTML)


def json_response(data: Any) -> Response:
    """``application/json`` with the default separators of Python's ``json.dumps``."""
    return Response(json.dumps(data), status=200, content_type="application/json")


def allow_header(methods: Iterable[str]) -> str:
    """The ``Allow`` header value for ``methods``, in the real server's order."""
    wanted = {method.upper() for method in methods}
    return ", ".join(method for method in METHOD_ORDER if method in wanted)


def method_not_allowed(methods: Iterable[str]) -> Response:
    """405 with an empty body and an ``Allow`` header."""
    response = Response(b"", status=405, content_type=HTML)
    response.headers["Allow"] = allow_header(methods)
    return response


def options_response(methods: Iterable[str]) -> Response:
    """200 with an empty body, an ``Allow`` header and ``Content-Length: 0``."""
    response = Response(b"", status=200, content_type=HTML)
    response.headers["Allow"] = allow_header(methods)
    response.headers["Content-Length"] = "0"
    return response


def attachment(data: bytes, content_type: str, filename: str) -> Response:
    """A download: the bytes with their length and ``Content-Disposition: attachment``."""
    response = Response(data, status=200, content_type=content_type)
    response.headers["Content-Length"] = str(len(data))
    response.headers["Content-Disposition"] = f"attachment; filename={filename}"
    return response
