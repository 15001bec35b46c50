"""ToyQueueLibrary: toyqueue's Robot keywords, built from jobharness's shared components.

``Start Toy Job`` is toyqueue's own keyword; the waits, state assertions and
results (``Wait For Toy Job``, ``Toy Job Should Have Succeeded`` ...) are
jobharness's components, named after toyqueue's jobs. What a test starts is
cancelled when the test ends.
"""

from __future__ import annotations

from datetime import timedelta

from robot.api.deco import keyword, library

from jobharness.jobs import DEFAULT_TIMEOUT
from jobharness_toyqueue.client import ToyQueueClient, toyqueue_client
from jobharness_toyqueue.job import ToyJob
from jobharness_toyqueue.target import TOYQUEUE_TARGET
from robotlib._core.context import LibraryContext
from robotlib._core.conversions import LibraryDuration, caller_id
from robotlib._core.jobs import ResultKeywords, StateKeywords, WaitKeywords
from robotlib._core.library import Component, ComponentLibrary

NAMES = {
    "noun": "Toy Job",
    "plural": "Toy Jobs",
    "what": "toy job",
    "returns": "its result",
    "returns_many": "their results",
}


class StartKeywords(Component):
    """Starting jobs on the configured (or embedded) toyqueue server."""

    def __init__(self, context: LibraryContext) -> None:
        super().__init__(context)
        self._client: ToyQueueClient | None = None

    @property
    def client(self) -> ToyQueueClient:
        """The client of this library's target (started on first use)."""
        if self._client is None:
            self._client = toyqueue_client(self.ctx.target())
        return self._client

    @keyword
    def start_toy_job(self, *argv: str, name: str = "toy") -> ToyJob:
        """Start ``argv`` as a toyqueue job; return its handle.

        The job's name is ``<name>@<run id>/<caller>``, so ``jobharness reap``
        finds it after a crash. It is cancelled when the test ends.

        | ${job}= | Start Toy Job | sleep | 1 |
        """
        job = self.client.start(list(argv), f"{name}@{caller_id()}")
        self.ctx.track(job)
        return job


@library(scope="GLOBAL", listener="SELF", auto_keywords=False)
class ToyQueueLibrary(ComponentLibrary):
    """Keywords for toyqueue jobs: start them, wait for them, assert on their state.

    With no ``${TOYQUEUE_URL}`` (or ``JOBHARNESS_TOYQUEUE_URL``), an
    embedded server is started for the run.
    """

    backend = "toyqueue"

    def __init__(self, timeout: LibraryDuration = timedelta(seconds=DEFAULT_TIMEOUT)) -> None:
        """``timeout`` is the default of every wait."""
        context = LibraryContext("toyqueue", TOYQUEUE_TARGET, timeout=timeout)
        super().__init__(
            context,
            [
                StartKeywords(context),
                WaitKeywords(context, **NAMES),
                StateKeywords(context, **NAMES),
                ResultKeywords(context, **NAMES),
            ],
        )
