"""``Switch {noun} Connection`` and ``Close All {noun} Connections``, for every library."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from robot.api.deco import keyword

from robotlib._core.context import LibraryContext
from robotlib._core.library import Component


class ConnectionKeywords(Component):
    """Switching between and closing the library's connections (of one or more kinds)."""

    @keyword("Switch {noun} Connection")
    def switch_connection(self, index_or_alias: str, kind: str | None = None) -> int:
        """Make the connection ``index_or_alias`` current; return the previous one's index.

        ``kind`` picks the kind of connection in a library that keeps several
        (default: the first: {kinds}).

        | ${previous}= | Switch {noun} Connection | remote |
        | Switch {noun} Connection | ${previous} |
        """
        return self.ctx.connections.switch(index_or_alias, kind)

    @keyword("Close All {noun} Connections")
    def close_all_connections(self) -> None:
        """Close every connection of this library; the next keyword connects again.

        What was already started keeps its own connection, so cleanup still reaches it.
        """
        self.ctx.connections.close_all()


class Connector(Component):
    """The component that opens a library's connections (its ``Connect To ...`` keywords).

    ``request_timeout`` is the library's default; :meth:`current` is what the
    other components use: the current connection of a kind, opened with the
    defaults on first use.
    """

    def __init__(self, context: LibraryContext, request_timeout: float, **names: str) -> None:
        super().__init__(context, **names)
        self.request_timeout = request_timeout

    def connect_default(self, kind: str | None) -> None:
        """Open a connection of ``kind`` with the defaults (settings or embedded servers)."""
        raise NotImplementedError

    def current(self, kind: str | None = None) -> Any:
        """The current connection of ``kind``, opened with the defaults if there is none."""
        if not self.ctx.connections.has(kind):
            self.connect_default(kind)
        return self.ctx.connections.get(None, kind)


ConnectorT = TypeVar("ConnectorT", bound=Connector)


class UsesConnection(Component, Generic[ConnectorT]):
    """A component whose keywords work on the connections of a :class:`Connector`."""

    def __init__(self, context: LibraryContext, connection: ConnectorT, **names: str) -> None:
        super().__init__(context, **names)
        self.connection = connection
