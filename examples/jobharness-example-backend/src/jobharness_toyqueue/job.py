"""A toyqueue job as a jobharness :class:`~jobharness.jobs.Job`: waits, cancels, results."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jobharness.errors import ProtocolError
from jobharness.jobs import Job, JobResult, JobState

if TYPE_CHECKING:
    from jobharness_toyqueue.client import ToyQueueClient

STATES = {
    "running": JobState.RUNNING,
    "succeeded": JobState.SUCCEEDED,
    "failed": JobState.FAILED,
    "cancelled": JobState.CANCELLED,
}


class ToyJob(Job):
    """One job of a toyqueue server."""

    backend = "toyqueue"

    def __init__(self, client: ToyQueueClient, data: dict[str, Any]) -> None:
        super().__init__(str(data.get("id")), name=str(data.get("name", "")))
        self.client = client
        self.data: dict[str, Any] = {}
        self._observe(data)

    def _observe(self, data: dict[str, Any]) -> tuple[JobState, str]:
        native = data.get("state")
        if native not in STATES:
            raise ProtocolError(f"toyqueue job {self.id}: unknown state {native!r}")
        self.data = data
        self._set_state(STATES[native], native)
        return STATES[native], native

    def _fetch_state(self) -> tuple[JobState, str]:
        return self._observe(self.client.call("GET", f"/jobs/{self.id}"))

    def _cancel(self) -> bool:
        self._observe(self.client.call("POST", f"/jobs/{self.id}/cancel"))
        return True

    def output(self) -> str | None:
        """What the process printed so far."""
        return str(self.data.get("output", ""))

    def exit_code(self) -> int | None:
        """The process's exit code, once it ended."""
        code = self.data.get("exit_code")
        return int(code) if code is not None else None

    def _build_result(self) -> JobResult:
        return JobResult(
            self.id,
            self.backend,
            self.state,
            self.native_state,
            value=self.exit_code(),
            error=None if self.state is not JobState.FAILED else f"exit code {self.exit_code()}",
            output=self.output(),
        )
