"""An execution mapped onto the shared job model.

The sandbox answers ``POST execute/`` only once every command has run, so a
:class:`SandboxJob` is that request running on a worker thread. Its state is
``running`` until the answer is in, then the execution's state
(:attr:`ExecutionResult.job_state`); a request that failed (HTTP error,
unreachable server) makes it ``error``. Waiting goes through the engine's
deadline like any job. The server has no way to stop an execution, so
:meth:`SandboxJob.cancel` returns False.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from jobharness.backends.sandbox.results import ExecutionResult
from jobharness.errors import JobHarnessError
from jobharness.jobs import Job, JobResult, JobState

if TYPE_CHECKING:
    from jobharness.backends.sandbox.client import Sandbox

REQUEST_FAILED = "REQUEST_FAILED"


class SandboxJob(Job):
    """One execution started by :meth:`Sandbox.start`; ``id`` is local (the server has none)."""

    backend = "sandbox"

    def __init__(
        self, job_id: str, future: Future[ExecutionResult], *, name: str = "", **kwargs: Any
    ) -> None:
        super().__init__(
            job_id, name=name, state=JobState.RUNNING, native_state="running", **kwargs
        )
        self._future = future

    @classmethod
    def launch(
        cls,
        client: Sandbox,
        config: Mapping[str, Any],
        archive: bytes | None,
        *,
        name: str = "",
        timeout: float | None = None,
        repeat_unknown: int | None = None,
    ) -> SandboxJob:
        """Run ``client.execute(config, archive)`` on a daemon thread; return its job."""
        future: Future[ExecutionResult] = Future()
        future.set_running_or_notify_cancel()

        def run() -> None:
            try:
                result = client.execute(
                    config, archive, timeout=timeout, repeat_unknown=repeat_unknown
                )
                future.set_result(result)
            except BaseException as exc:  # delivered to whoever reads the job
                future.set_exception(exc)

        job_id = f"sandbox-{uuid.uuid4().hex[:12]}"  # local: the server has no job ids
        kwargs: dict[str, Any] = {"default_timeout": timeout or client.timeout}
        if client.poll is not None:
            kwargs["poll"] = client.poll
        job = cls(job_id, future, name=name, **kwargs)
        threading.Thread(target=run, name=f"jobharness-{job_id}", daemon=True).start()
        return job

    @property
    def execution(self) -> ExecutionResult | None:
        """The execution result once the answer is in, else None."""
        if self._future.done() and self._future.exception() is None:
            return self._future.result()
        return None

    @property
    def exception(self) -> BaseException | None:
        """Why the request failed, once it has; else None."""
        return self._future.exception() if self._future.done() else None

    def _fetch_state(self) -> tuple[JobState, str]:
        if not self._future.done():
            return JobState.RUNNING, "running"
        execution = self.execution
        if execution is None:
            return JobState.ERROR, REQUEST_FAILED
        return execution.job_state, execution.status_name

    def _cancel(self) -> bool:
        """The sandbox cannot stop an execution: nothing is sent, and the answer is False."""
        return False

    def _build_result(self) -> JobResult:
        self.refresh()
        execution = self.execution
        error: str | None = None
        details: dict[str, Any] = {}
        if self.exception is not None:
            exc = self.exception
            error = str(exc) if isinstance(exc, JobHarnessError) else f"{type(exc).__name__}: {exc}"
        elif execution is not None:
            details = {
                "status": execution.status,
                "total_time": execution.total_time,
                "environment": execution.environment,
            }
            if not execution.ok:
                error = execution.summary()
        return JobResult(
            job_id=self.id,
            backend=self.backend,
            state=self.state,
            native_state=self.native_state,
            value=execution,
            error=error,
            output=self.output(),
            details=details,
        )

    def output(self) -> str | None:
        """The commands' stdout, one block per command, once the answer is in."""
        execution = self.execution
        if execution is None:
            return None
        return "\n".join(command.stdout for command in execution.execution)

    def exit_code(self) -> int | None:
        """The exit code of the command that stopped the run, else of the last command run."""
        execution = self.execution
        if execution is None or not execution.execution:
            return None
        failed = execution.failed_command
        return (failed or execution.execution[-1]).exit_code

    def failure_output(self) -> str | None:
        """Each command run with its stdout and stderr, for failure texts."""
        execution = self.execution
        if execution is None:
            return None
        blocks = []
        for command in execution.execution:
            blocks.append(f"$ {command.command}  (exit {command.exit_code})")
            blocks.extend(text.rstrip("\n") for text in (command.stdout, command.stderr) if text)
        return "\n".join(blocks) or None
