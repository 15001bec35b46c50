"""Fixtures for the engine tests: scripted jobs and a small real HTTP server."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from jobharness.jobs import Job, JobResult, JobState


class ScriptedJob(Job):
    """A job whose server answers come from a list of states, one per refresh."""

    backend = "scripted"
    batch_calls: list[int] = []

    def __init__(self, job_id: str, states: list[JobState], **kwargs: Any) -> None:
        super().__init__(job_id, **kwargs)
        self.states = list(states)
        self.fetches = 0
        self.cancelled = False

    def _fetch_state(self) -> tuple[JobState, str]:
        self.fetches += 1
        if self.cancelled:
            return JobState.CANCELLED, "killed"
        state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        return state, f"native-{state.value}"

    def _cancel(self) -> bool:
        self.cancelled = True
        return True

    def _build_result(self) -> JobResult:
        return JobResult(self.id, self.backend, self.state, self.native_state, value=self.fetches)


class BatchedJob(ScriptedJob):
    """A scripted job whose class refreshes many jobs in one (counted) round."""

    rounds: int = 0

    @classmethod
    def refresh_many(cls, jobs: Any) -> None:
        cls.rounds += 1
        for job in jobs:
            job.refresh()


@pytest.fixture
def scripted() -> type[ScriptedJob]:
    return ScriptedJob


@pytest.fixture
def batched() -> type[BatchedJob]:
    BatchedJob.rounds = 0
    return BatchedJob


Handler = Callable[[Request], Response]


@pytest.fixture
def http_server() -> Iterator[Callable[[Handler], str]]:
    """Start a real HTTP server on 127.0.0.1 answering with the given handler; yield a starter."""
    servers = []

    def start(handler: Handler) -> str:
        @Request.application  # type: ignore[arg-type]
        def app(request: Request) -> Response:
            return handler(request)

        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/"

    yield start
    for server in servers:
        server.shutdown()
