"""Failures that explain themselves: the job, its native state, exit code and output tail."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest

from jobharness.backends.saltant import SaltantClient
from jobharness.backends.sandbox import Sandbox
from jobharness.backends.terminal import LocalShell, Terminal
from jobharness.errors import JobCancelled, JobFailed, TransportError, WaitTimeout
from jobharness.failures import describe_job, tail
from jobharness.jobs import Job, JobResult, JobState, PollPolicy
from jobharness.waiting import wait_for

SLEEPER = Path(__file__).resolve().parents[1] / "saltant" / "sleeper.py"


class ToldJob(Job):
    """A job whose state, exit code and output the test sets."""

    backend = "told"

    def __init__(self, state: JobState, output: str | None = None, code: int | None = None):
        super().__init__("t-1", name="build-42", poll=PollPolicy.fixed(0.01))
        self.fixed, self.text, self.code = state, output, code

    def _fetch_state(self) -> tuple[JobState, str]:
        return self.fixed, f"NATIVE_{self.fixed.value.upper()}"

    def _cancel(self) -> bool:
        return False

    def _build_result(self) -> JobResult:
        return JobResult(self.id, self.backend, self.state, self.native_state, error="it broke")

    def output(self) -> str | None:
        return self.text

    def exit_code(self) -> int | None:
        return self.code


def test_a_failed_job_names_itself_its_exit_code_and_its_output_tail() -> None:
    lines = "\n".join(f"line {n}" for n in range(1, 31))
    job = ToldJob(JobState.FAILED, lines, 3)
    with pytest.raises(JobFailed) as caught:
        job.wait(5).raise_for_state()
    text = str(caught.value)
    first = text.splitlines()[0]
    assert first == (
        "told job t-1 'build-42' ended failed (native 'NATIVE_FAILED'), exit code 3: it broke"
    )
    assert "output (last 20 lines):" in text
    assert "    line 30" in text and "    line 11" in text and "line 10\n" not in text
    assert caught.value.job is job


def test_a_cancelled_job_raises_job_cancelled_with_the_same_description() -> None:
    job = ToldJob(JobState.CANCELLED)
    job.refresh()
    with pytest.raises(JobCancelled, match=r"told job t-1 'build-42' ended cancelled"):
        job.raise_for_state()


def test_a_timeout_names_each_unfinished_job_with_its_output_so_far() -> None:
    job = ToldJob(JobState.RUNNING, "compiling\nlinking")
    with pytest.raises(WaitTimeout) as caught:
        wait_for([job], 0.05)
    text = str(caught.value)
    assert "still unfinished: told job t-1 'build-42': running (NATIVE_RUNNING)" in text
    assert text.endswith("output:\n    compiling\n    linking")


def test_output_that_cannot_be_read_is_said_not_raised() -> None:
    job = ToldJob(JobState.FAILED)
    job.output = lambda: (_ for _ in ()).throw(TransportError("log server gone"))  # type: ignore[method-assign]
    job.refresh()
    assert "(output unavailable: log server gone)" in describe_job(job)


def test_tail_keeps_the_last_lines_and_characters() -> None:
    assert tail("a\nb\nc\n", lines=2) == ("b\nc", 1)
    shown, cut = tail("x" * 50, lines=5, chars=10)
    assert shown == "..." + "x" * 10 and cut == 0


# -- real backends ---------------------------------------------------------------------------


def test_sandbox_failure_shows_the_exit_code_and_both_streams(sandbox: Sandbox) -> None:
    job = sandbox.start(
        {"commands": ["echo preparing", "echo 'no such file' >&2; exit 2"]}, name="sbx"
    )
    with pytest.raises(JobFailed) as caught:
        job.wait(30).raise_for_state()
    text = str(caught.value)
    assert text.startswith(
        f"sandbox job {job.id} 'sbx' ended failed (native 'EXIT_2'), exit code 2"
    )
    assert "    preparing" in text and "    no such file" in text


def test_terminal_failure_shows_the_status_stdout_and_stderr() -> None:
    with Terminal(LocalShell(), default_timeout=30) as terminal:
        job = terminal.start("echo partial; echo 'bad input' >&2; exit 7", name="term")
        with pytest.raises(JobFailed) as caught:
            job.wait(30).raise_for_state()
    text = str(caught.value)
    assert text.startswith(f"terminal job {job.id} 'term' ended failed (native ")
    assert ", exit code 7" in text.splitlines()[0]
    assert "    partial" in text and "    stderr:" in text and "    bad input" in text


def test_saltant_failure_shows_the_output_and_says_there_is_no_exit_code(
    saltant: SaltantClient,
) -> None:
    run = uuid.uuid4().hex[:10]
    task_type = saltant.executable_task_types.create(
        f"failtext-{run}",
        f"{sys.executable} {SLEEPER}",
        required_arguments=["seconds", "exit_code"],
        required_arguments_default_values={"seconds": 0, "exit_code": 0},
    )
    whitelist = saltant.task_whitelists.create(
        f"failtext-{run}", whitelisted_executable_task_types=[task_type.id]
    )
    queue = saltant.task_queues.create(f"failtext-{run}", whitelists=[whitelist.id])
    job = saltant.executable_task_instances.start(
        task_type.id, queue.id, {"seconds": 0, "exit_code": 3}, f"failing-{run}"
    )
    with pytest.raises(JobFailed) as caught:
        job.wait(30).raise_for_state()
    text = str(caught.value)
    assert text.startswith(f"saltant job {job.id} 'failing-{run}' ended failed (native 'failed')")
    assert "saltant reports no exit code" in text
    assert "    slept 0 s" in text
