"""Keywords of the harp suites only: embedded pairs whose dispatcher injects faults.

``Start Faulty Harp Dispatcher    skip-follow-packet    cut-follow-after=700``
starts an embedded harpd and a dispatcher run with those ``--fault`` options
and returns the dispatcher's ``host:port`` for `Connect To Harp Dispatcher`.
Everything started is stopped when the suite ends.
"""

from __future__ import annotations

from typing import Any

from robot.api.deco import keyword, library

from jobharness.backends.harp.target import HarpTargets, embedded_targets


@library(scope="SUITE", listener="SELF")
class FaultyHarpDispatcher:
    """Starts embedded harp pairs with dispatcher faults; stops them when the suite ends."""

    ROBOT_LISTENER_API_VERSION = 3

    def __init__(self) -> None:
        self._started: list[HarpTargets] = []

    @keyword
    def start_faulty_harp_dispatcher(self, *faults: str) -> str:
        """Start an embedded pair whose dispatcher injects ``faults``; its ``host:port``."""
        targets = embedded_targets(faults=faults)
        self._started.append(targets)
        if targets.dispatcher is None:  # pragma: no cover - an embedded pair always has one
            raise RuntimeError("the embedded harp pair has no dispatcher")
        host, port = targets.dispatcher
        return f"{host}:{port}"

    def end_suite(self, data: Any, result: Any) -> None:
        """Listener: stop what this suite started."""
        self.close()

    def close(self) -> None:
        """Listener: stop what is still running."""
        while self._started:
            self._started.pop().stop()
