"""What a request handler gets: the request, the caller and the server's services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Request, Response

from jobharness.servers.saltant.body import Body, read_body
from jobharness.servers.saltant.fields import Context
from jobharness.servers.saltant.responses import detail
from jobharness.servers.saltant.store import Database, Row
from jobharness.servers.saltant.worker import WorkerPool


@dataclass
class Services:
    """The long-lived parts of the server."""

    db: Database
    pool: WorkerPool
    secret: str


@dataclass
class Call:
    """One request being handled."""

    request: Request
    services: Services
    user: Row

    @property
    def db(self) -> Database:
        """The database."""
        return self.services.db

    def body(self) -> Body:
        """The parsed request body."""
        return read_body(self.request)

    def context(self, instance: Row | None = None) -> Context:
        """A validation context for the caller (and the row being updated)."""
        return Context(self.db, self.user, instance)

    def require_owner(self, row: Row) -> None:
        """403 unless the caller owns ``row`` or is a superuser."""
        if not self.user["is_superuser"] and row["user"] != self.user["username"]:
            raise detail(403, "You do not have permission to perform this action.")


Handler = Callable[[Call, dict[str, Any]], Response]
NO_USER: Row = {"id": None, "username": None, "is_superuser": False}
