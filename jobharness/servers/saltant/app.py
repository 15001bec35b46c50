"""The WSGI application: werkzeug routing, authentication, method checks, error rendering.

Every route takes an optional trailing slash. Authentication comes before
the method check (as in DRF), so an anonymous DELETE is a 403 and an
authenticated one a 405. Every answer of a route carries ``Allow`` with its
methods, as DRF sends it; a URL outside the API is Django's HTML 404 for GET
and HEAD, and an empty 405 for any other method (the error view only has GET).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from jobharness.servers.saltant import instances, tokens, views
from jobharness.servers.saltant.api import NO_USER, Call, Handler, Services
from jobharness.servers.saltant.auth import authenticate
from jobharness.servers.saltant.kinds import KINDS, TASK_QUEUES, TASK_WHITELISTS, USERS
from jobharness.servers.saltant.responses import (
    ApiError,
    ServerFault,
    fault_response,
    html_not_found,
    method_not_allowed,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

log = logging.getLogger(__name__)


METHOD_ORDER = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
"""The order in which DRF lists a view's methods in ``Allow``."""


@dataclass(frozen=True)
class Route:
    """A URL pattern, its handlers by method, and whether it needs no authentication."""

    pattern: str
    handlers: dict[str, Handler]
    public: bool = False

    @property
    def allow(self) -> str:
        """The ``Allow`` header of the route's answers."""
        return ", ".join(method for method in METHOD_ORDER if method in self.handlers)


def _collection_routes(name: str, handlers: dict[str, dict[str, Handler]]) -> list[Route]:
    patterns = {
        "list": f"/api/{name}/",
        "detail": f"/api/{name}/<key>/",
        "clone": f"/api/{name}/<key>/clone/",
        "terminate": f"/api/{name}/<key>/terminate/",
    }
    return [Route(patterns[kind], by_method) for kind, by_method in handlers.items()]


def routes() -> list[Route]:
    """Every route of the API."""
    found = [
        Route("/api/", {"GET": views.root, "HEAD": views.root}),
        Route("/api/token/", {"POST": tokens.obtain}, public=True),
        Route("/api/token/refresh/", {"POST": tokens.refresh}, public=True),
        Route("/api/updatetaskinstancestatus/<key>/", {"PATCH": instances.update_state}),
        *_collection_routes(USERS, views.USER_HANDLERS),
        *_collection_routes(TASK_QUEUES, views.QUEUE_HANDLERS),
        *_collection_routes(TASK_WHITELISTS, views.WHITELIST_HANDLERS),
    ]
    for kind in KINDS:
        found += _collection_routes(kind.types, views.type_handlers(kind))
        found += _collection_routes(kind.instances, instances.instance_handlers(kind))
    return found


class SaltantApp:
    """The saltant REST API as a WSGI application."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._routes = routes()
        self.url_map = Map(
            [Rule(route.pattern, endpoint=index) for index, route in enumerate(self._routes)],
            strict_slashes=False,
            merge_slashes=False,
        )

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        response = self.dispatch(request)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        """Route, authenticate, check the method, run the handler; render errors as upstream."""
        try:
            endpoint, values = self.url_map.bind_to_environ(request.environ).match()
        except HTTPException:
            if request.method in ("GET", "HEAD"):
                return html_not_found()
            return fault_response(request.method)
        route = self._routes[int(endpoint)]
        try:
            response = self._handle(route, request, dict(values))
        except ApiError as exc:
            response = exc.response()
        except ServerFault as exc:
            log.info("unhandled upstream error on %s %s: %s", request.method, request.path, exc)
            return fault_response(request.method)
        except Exception:
            log.exception("error on %s %s", request.method, request.path)
            return fault_response(request.method)
        response.headers["Allow"] = route.allow
        return response

    def _handle(self, route: Route, request: Request, values: dict[str, Any]) -> Response:
        services = self.services
        if route.public:
            user = NO_USER
        else:
            user = authenticate(services.db, services.secret, request.headers.get("Authorization"))
        handler = route.handlers.get(request.method)
        if handler is None:
            raise method_not_allowed(request.method)
        return handler(Call(request, services, user), values)
