"""Background commands as jobs of the shared model: wait, cancel, output, the lifeline."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable

import pytest

from jobharness.backends.terminal import Terminal, TerminalJob
from jobharness.cleanup import clean_up
from jobharness.errors import WaitTimeout
from jobharness.jobs import JobState, OnTimeout
from jobharness.waiting import wait_for

from .helpers import eventually, group_members


def test_a_job_runs_in_the_background_and_is_waited_for(anywhere: Terminal) -> None:
    ok = anywhere.start("echo hello; echo warning >&2", name="greeter")
    failing = anywhere.start("echo partial; exit 7")
    assert isinstance(ok, TerminalJob) and ok.name == "greeter"
    finished = wait_for([ok, failing], 30)
    assert set(finished) == {ok, failing}
    assert (ok.state, ok.native_state, ok.status) == (JobState.SUCCEEDED, "exited", 0)
    assert ok.output() == "hello\n"
    assert ok.stderr() == "warning\n"
    assert (failing.state, failing.status) == (JobState.FAILED, 7)
    result = failing.result
    assert result.output == "partial\n"
    assert result.value.status == 7
    assert "status 7" in (result.error or "")
    assert failing.command_result.stdout == "partial\n"


def test_cancel_terminates_the_group_and_reports_minus_15(anywhere: Terminal) -> None:
    job = anywhere.start("sleep 300 & echo up; wait")
    eventually(lambda: job.output() == "up\n")
    assert job.state is JobState.RUNNING
    assert job.cancel()
    assert (job.state, job.native_state, job.status) == (JobState.CANCELLED, "killed", -15)
    assert job.pgid is not None
    eventually(lambda: not group_members(job.pgid))  # type: ignore[arg-type]
    assert not job.cancel()  # already final


def test_a_job_ignoring_sigterm_is_killed(anywhere: Terminal) -> None:
    job = anywhere.start("trap '' TERM; echo up; sleep 300 & wait; wait")
    eventually(lambda: job.output() == "up\n")
    job.cancel()
    assert job.state is JobState.CANCELLED
    assert job.status in (-9, None)
    eventually(lambda: not group_members(job.pgid))  # type: ignore[arg-type]


def test_a_wait_past_its_timeout_can_cancel(anywhere: Terminal) -> None:
    job = anywhere.start("sleep 300")
    with pytest.raises(WaitTimeout, match="still unfinished"):
        job.wait(0.2, on_timeout=OnTimeout.CANCEL)
    assert job.state is JobState.CANCELLED
    eventually(lambda: not group_members(job.pgid))  # type: ignore[arg-type]


def test_a_signal_from_outside_fails_the_job(anywhere: Terminal) -> None:
    job = anywhere.start("sleep 300")
    assert job.signal("KILL")
    job.wait(30)
    assert (job.state, job.native_state, job.status) == (JobState.FAILED, "killed", -9)


def test_cleanup_cancels_what_is_left_running(anywhere: Terminal) -> None:
    job = anywhere.start("sleep 300")
    report = clean_up([job])
    assert report.cancelled == [job]
    eventually(lambda: not group_members(job.pgid))  # type: ignore[arg-type]


def test_a_dead_runner_leaves_nothing_running(anywhere: Terminal) -> None:
    """The local side dies (as with a killed runner): the wrapper's lifeline ends the group."""
    job = anywhere.start("sleep 300 & sleep 300; wait")
    assert job.pgid is not None and group_members(job.pgid)
    os.killpg(job.process.pid, signal.SIGKILL)  # the ssh client (or local shell) only
    eventually(lambda: not group_members(job.pgid))  # type: ignore[arg-type]
    job.wait(30)
    assert job.state in (JobState.ERROR, JobState.FAILED)


def test_a_job_takes_input(anywhere: Terminal) -> None:
    job = anywhere.start("tr a-z A-Z", stdin="shout\n")
    job.wait(30)
    assert job.output() == "SHOUT\n"


def test_closing_the_terminal_cancels_its_jobs(
    sshd_terminal_factory: Callable[..., Terminal],
) -> None:
    terminal = sshd_terminal_factory()
    job = terminal.start("sleep 300")
    terminal.close()
    assert job.state is JobState.CANCELLED
    eventually(lambda: not group_members(job.pgid))  # type: ignore[arg-type]
