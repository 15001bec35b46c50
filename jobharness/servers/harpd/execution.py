"""Running one procedure call in its own thread and handing its output over as events.

The connection thread reads :class:`Event` objects from :attr:`Execution.events`
with its own deadline, so a per-procedure timeout or a shutdown never waits
for the procedure. A thread cannot be killed: a plain procedure that overruns
keeps running in the background until it returns; a streaming one stops at
its next ``yield`` once :meth:`Execution.stop` was called.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from typing import Any, Literal

from jobharness.servers.harpd.proc import Procedure, Result

EventKind = Literal["packet", "result", "exception"]
QUEUE_SIZE = 64
PUT_SLICE = 0.1


@dataclass(frozen=True)
class Event:
    """One thing the procedure produced: a stream packet, its result, or its exception."""

    kind: EventKind
    value: Any


class Execution:
    """A procedure call running in a daemon thread."""

    def __init__(
        self,
        procedure: Procedure,
        arguments: list[Any] | dict[str, Any],
        name: str = "harpd-call",
    ) -> None:
        self.procedure = procedure
        self.arguments = arguments
        self.events: queue.Queue[Event] = queue.Queue(QUEUE_SIZE)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> Execution:
        """Start the call."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ask a streaming procedure to stop at its next ``yield``; drop further output."""
        self._stopped.set()

    def _put(self, event: Event) -> bool:
        while not self._stopped.is_set():
            try:
                self.events.put(event, timeout=PUT_SLICE)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        args, kwargs = (
            (self.arguments, {}) if isinstance(self.arguments, list) else ([], self.arguments)
        )
        try:
            if self.procedure.streaming:
                self._stream(self.procedure(*args, **kwargs))
            else:
                self._put(Event("result", self.procedure(*args, **kwargs)))
        except Exception as exc:
            self._put(Event("exception", exc))

    def _stream(self, generator: Any) -> None:
        try:
            for item in generator:
                if self._stopped.is_set():
                    return
                if isinstance(item, Result):
                    self._put(Event("result", item.value))
                    return
                if not self._put(Event("packet", item)):
                    return
            self._put(Event("result", None))
        finally:
            close = getattr(generator, "close", None)
            if close is not None:
                close()
