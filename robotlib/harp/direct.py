"""``Call Harp Procedure``: run a procedure on harpd directly and get its value or stream."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from jobharness.backends.harp import HarpStreamIterator, Result
from jobharness.backends.harp.protocol import call_arguments
from robotlib._core.connections import UsesConnection
from robotlib._core.logging import log_body
from robotlib.harp.connection import HarpConnection


@dataclass
class HarpStream:
    """What a streaming harpd procedure produced: its ``values`` and its end ``result``."""

    values: list[Any] = field(default_factory=list)
    result: Any = None


class DirectKeywords(UsesConnection[HarpConnection]):
    """Direct calls on harpd."""

    @keyword
    def call_harp_procedure(
        self, procedure: str, *args: Any, connection: str | None = None, **kwargs: Any
    ) -> Any:
        """Run ``procedure`` on harpd directly and return its value.

        Arguments are positional or named, never both. A streaming procedure
        returns a ``HarpStream``: ``${out.values}`` is the list of streamed values
        and ``${out.result}`` its end value. The procedure's own exception fails
        the keyword with ``remote exception <Type>: <message>``; a harpd error
        (login refused, unknown procedure, timeout) with ``remote error <type>``.
        ``connection`` picks a connection by alias or index.

        | ${sum}= | Call Harp Procedure | add | 2 | 40 |
        | ${out}= | Call Harp Procedure | count | ${3} |
        | Should Be Equal | ${out.result} | ${{ {"count": 3} }} |
        """
        server = self.connection.harpd(connection)
        logger.info(f"calling {procedure} on harpd at {server.url}")
        log_body("arguments", json.dumps(call_arguments(args, kwargs), default=repr))
        value = server.call(procedure, *args, **kwargs)
        if isinstance(value, HarpStreamIterator):
            stream = HarpStream()
            with value:
                for item in value:
                    if isinstance(item, Result):
                        stream.result = item.value
                    else:
                        stream.values.append(item)
            logger.info(f"{procedure} streamed {len(stream.values)} value(s)")
            log_body("result", json.dumps(stream.result, default=repr))
            return stream
        log_body("result", json.dumps(value, default=repr))
        return value
