"""``Switch {noun} Connection`` and ``Close All {noun} Connections``, for every library."""

from __future__ import annotations

from robot.api.deco import keyword

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
