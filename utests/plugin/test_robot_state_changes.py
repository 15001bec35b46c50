"""Robot runs: state changes logged when the wait sees them, and the console status line."""

from __future__ import annotations

import io
import sys
from datetime import datetime
from pathlib import Path

import pytest
import robot
from robot.api import ExecutionResult
from robot.result import Keyword

import jobharness.progress

FAKE_LIBRARY = '''
from jobharness.jobs import Job, JobResult, JobState, PollPolicy


class CountedJob(Job):
    """Pending, running after one poll, succeeded after ``polls`` polls."""

    backend = "fake"

    def __init__(self, job_id, polls):
        super().__init__(job_id, name=job_id + "-name", poll=PollPolicy.fixed(0.05))
        self.polls = int(polls)
        self.fetches = 0

    def _fetch_state(self):
        self.fetches += 1
        if self.fetches >= self.polls:
            return JobState.SUCCEEDED, "DONE"
        return JobState.RUNNING, "BUSY"

    def _cancel(self):
        return False

    def _build_result(self):
        return JobResult(self.id, self.backend, self.state, self.native_state)


def start_fake_job(job_id, polls):
    return CountedJob(job_id, polls)
'''

SUITE = """
*** Settings ***
Library    fakejobs.py
Library    robotlib.JobLibrary    timeout=30 s    {progress}

*** Test Cases ***
Quick And Slow
    ${{quick}}=    Start Fake Job    quick    2
    ${{slow}}=    Start Fake Job    slow    40
    Wait For Jobs    ${{quick}}    ${{slow}}
"""


def _run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, progress: str = ""
) -> tuple[Keyword, str]:
    """Run the suite; return its wait keyword and the console (Robot's and ``__stdout__``)."""
    (tmp_path / "fakejobs.py").write_text(FAKE_LIBRARY)
    (tmp_path / "suite.robot").write_text(SUITE.format(progress=progress))
    console = io.StringIO()
    monkeypatch.setattr(sys, "__stdout__", console)  # where logger.console writes
    sys.path.insert(0, str(tmp_path))
    try:
        rc = robot.run(
            str(tmp_path / "suite.robot"),
            outputdir=str(tmp_path / "out"),
            log=None,
            report=None,
            stdout=console,
            stderr=console,
        )
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("fakejobs", None)
    assert rc == 0, console.getvalue()
    result = ExecutionResult(str(tmp_path / "out" / "output.xml"))
    test = result.suite.tests[0]
    wait = next(kw for kw in test.body if isinstance(kw, Keyword) and kw.name == "Wait For Jobs")
    return wait, console.getvalue()


def _logged_at(wait: Keyword, text: str) -> datetime:
    found = [msg for msg in wait.body if getattr(msg, "message", "").startswith(text)]
    assert len(found) == 1, [getattr(m, "message", m) for m in wait.body]
    stamp: datetime = found[0].timestamp
    return stamp


@pytest.fixture(autouse=True)
def quick_status_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """Robot runs in this process: a shorter delay keeps the run short."""
    monkeypatch.setattr(jobharness.progress, "SHOW_AFTER", 0.3)
    monkeypatch.delenv("JOBHARNESS_PROGRESS", raising=False)


def test_state_changes_are_stamped_when_the_wait_saw_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wait, _ = _run(tmp_path, monkeypatch)
    quick_running = _logged_at(wait, "fake job quick: running (BUSY)")
    quick_done = _logged_at(wait, "fake job quick: succeeded (DONE)")
    slow_running = _logged_at(wait, "fake job slow: running (BUSY)")
    slow_done = _logged_at(wait, "fake job slow: succeeded (DONE)")
    # Logged as seen: both went running in the first poll round, quick finished in the
    # second and slow dozens of rounds later. Logged at the wait's end instead, each
    # job's lines would come together: quick running, quick succeeded, slow running, ...
    assert quick_running <= slow_running < quick_done < slow_done < wait.end_time


def test_the_console_shows_the_status_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, console = _run(tmp_path, monkeypatch)
    lines = console.splitlines()
    shown = [n for n, line in enumerate(lines) if line.startswith("jobharness: ")]
    assert shown, console
    assert "1 running" in lines[shown[0]]
    assert lines[shown[0]].endswith("of 30 s - waiting for 2 fake jobs")
    # on its own line after the test's name, and Robot's status comes after it
    assert lines[shown[0] - 1].startswith("Quick And Slow")
    assert lines[shown[-1] + 1].startswith("| PASS |")


def test_progress_off_keeps_the_console_clean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, console = _run(tmp_path, monkeypatch, "progress=off")
    assert "jobharness: " not in console
