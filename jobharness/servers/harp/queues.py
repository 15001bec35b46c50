"""Job queues: at most ``concurrency`` jobs of a queue run at once, first come first served.

A queue is named by a JSON object (compared key-sorted), created on first use
with the concurrency of that first job, and dropped when it is empty.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

WAIT_SLICE = 0.2


@dataclass
class _Queue:
    concurrency: int
    running: int = 0
    waiting: deque[str] = field(default_factory=deque)


class QueueRegistry:
    """All queues of a dispatcher."""

    def __init__(self) -> None:
        self._queues: dict[str, _Queue] = {}
        self._changed = threading.Condition()

    def enter(self, key: str, concurrency: int, ticket: str, cancelled: threading.Event) -> bool:
        """Wait for a slot in queue ``key``; ``False`` if ``cancelled`` was set meanwhile."""
        with self._changed:
            queue = self._queues.setdefault(key, _Queue(concurrency))
            queue.waiting.append(ticket)
            try:
                while not (queue.waiting[0] == ticket and queue.running < queue.concurrency):
                    if cancelled.is_set():
                        return False
                    self._changed.wait(WAIT_SLICE)
                queue.running += 1
                return True
            finally:
                queue.waiting.remove(ticket)
                self._drop_if_empty(key)
                self._changed.notify_all()

    def leave(self, key: str) -> None:
        """Free the slot taken by :meth:`enter`."""
        with self._changed:
            queue = self._queues[key]
            queue.running -= 1
            self._drop_if_empty(key)
            self._changed.notify_all()

    def wake(self) -> None:
        """Let waiters re-check their cancel flags now."""
        with self._changed:
            self._changed.notify_all()

    def _drop_if_empty(self, key: str) -> None:
        queue = self._queues.get(key)
        if queue is not None and not queue.running and not queue.waiting:
            del self._queues[key]
