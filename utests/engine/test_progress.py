"""The wait's watchers: state changes when the wait sees them, and the live status line."""

from __future__ import annotations

import threading
import time

import pytest

from jobharness.deadline import Deadline
from jobharness.errors import ConfigurationError, WaitTimeout
from jobharness.jobs import (
    Job,
    JobResult,
    JobState,
    PollPolicy,
    StateChange,
    as_completed,
    wait_for,
)
from jobharness.progress import (
    ProgressMode,
    StatusLine,
    WaitObserver,
    WaitStatus,
    describe_awaited,
    observing,
)

FAST = PollPolicy.fixed(0.01)


class ScriptedJob(Job):
    """A job whose states come from a script, one per fetch; each fetch is logged."""

    backend = "scripted"

    def __init__(self, job_id: str, script: list[JobState], events: list[str]) -> None:
        super().__init__(job_id, name=f"{job_id}-name", poll=FAST)
        self.script = list(script)
        self.events = events

    def _fetch_state(self) -> tuple[JobState, str]:
        state = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        self.events.append(f"fetch {self.id} -> {state.value}")
        return state, f"native-{state.value}"

    def _cancel(self) -> bool:
        return False

    def _build_result(self) -> JobResult:
        return JobResult(self.id, self.backend, self.state, self.native_state)


class Recorder(WaitObserver):
    """Writes every notification into the shared event list."""

    def __init__(self, events: list[str]) -> None:
        self.events = events
        self.changes: list[StateChange] = []

    def wait_started(self, status: WaitStatus) -> None:
        self.events.append(f"start {status.what}")

    def state_changed(self, job: Job, change: StateChange) -> None:
        self.changes.append(change)
        self.events.append(f"change {job.id} {change.state.value}")

    def wait_ended(self, status: WaitStatus) -> None:
        self.events.append("end")


def test_each_state_change_is_told_in_the_round_that_saw_it() -> None:
    events: list[str] = []
    job = ScriptedJob("a", [JobState.RUNNING, JobState.RUNNING, JobState.SUCCEEDED], events)
    with observing(Recorder(events)):
        wait_for([job], 10)
    assert events == [
        "start scripted job a 'a-name'",
        "fetch a -> running",
        "change a running",
        "fetch a -> running",
        "fetch a -> succeeded",
        "change a succeeded",
        "end",
    ]


def test_the_observed_change_is_the_one_in_the_history() -> None:
    events: list[str] = []
    quick = ScriptedJob("quick", [JobState.SUCCEEDED], events)
    slow = ScriptedJob("slow", [JobState.RUNNING] * 5 + [JobState.SUCCEEDED], events)
    recorder = Recorder(events)
    with observing(recorder):
        wait_for([quick, slow], 10)
    assert recorder.changes[0] is quick.history[-1]
    # quick's change was told before slow's later fetches happened
    told = events.index("change quick succeeded")
    assert told < events.index("change slow succeeded")
    assert events[told + 1 :].count("fetch slow -> running") >= 3


def test_as_completed_and_timeouts_tell_their_observers_too() -> None:
    events: list[str] = []
    done = ScriptedJob("done", [JobState.SUCCEEDED], events)
    stuck = ScriptedJob("stuck", [JobState.RUNNING], events)
    with observing(Recorder(events)):
        assert list(as_completed([done], 10)) == [done]
        with pytest.raises(WaitTimeout):
            wait_for([stuck], 0.1)
    assert "change done succeeded" in events
    assert "change stuck running" in events
    assert events.count("end") == 2


def test_an_observer_hears_only_its_own_threads_waits() -> None:
    events: list[str] = []
    other: list[str] = []
    job = ScriptedJob("mine", [JobState.SUCCEEDED], [])
    foreign = ScriptedJob("theirs", [JobState.SUCCEEDED], [])
    with observing(Recorder(events)), observing(Recorder(other), this_thread_only=False):
        thread = threading.Thread(target=wait_for, args=([foreign], 10))
        thread.start()
        thread.join()
        wait_for([job], 10)
    assert "change mine succeeded" in events and "change theirs succeeded" not in events
    assert "change mine succeeded" in other and "change theirs succeeded" in other


def test_no_observer_stays_registered_after_its_block() -> None:
    events: list[str] = []
    with observing(Recorder(events)):
        pass
    wait_for([ScriptedJob("x", [JobState.SUCCEEDED], [])], 10)
    assert events == []


# -- the status line ------------------------------------------------------------------------


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _status(elapsed: float, jobs: list[Job]) -> WaitStatus:
    status = WaitStatus("2 scripted jobs", jobs, Deadline(60, "wait"))
    status.started = time.monotonic() - elapsed
    return status


def _line(tty: bool, clock: Clock, written: list[str], **kwargs: float) -> StatusLine:
    return StatusLine(written.append, tty=tty, width=60, clock=clock, **kwargs)


def test_the_line_names_states_time_and_what_is_awaited() -> None:
    jobs: list[Job] = [
        ScriptedJob("a", [JobState.RUNNING], []),
        ScriptedJob("b", [JobState.RUNNING], []),
    ]
    jobs[0]._set_state(JobState.RUNNING, "r")
    status = _status(3.2, jobs)
    assert (
        status.line()
        == "jobharness: 1 pending, 1 running - 3 s of 60 s - waiting for 2 scripted jobs"
    )
    assert describe_awaited(jobs, "any") == "any of 2 scripted jobs"
    assert describe_awaited(jobs[:1]) == "scripted job a 'a-name'"


def test_a_short_wait_shows_nothing() -> None:
    written: list[str] = []
    clock = Clock()
    line = _line(True, clock, written, show_after=2.0)
    status = _status(1.0, [])
    line.wait_started(status)
    line.wait_progress(status)
    line.wait_ended(status)
    assert written == [] and line.lines_written == 0


def test_on_a_terminal_the_line_is_rewritten_in_place_and_erased() -> None:
    written: list[str] = []
    clock = Clock()
    line = _line(True, clock, written, show_after=2.0, interval=0.5)
    status = _status(2.5, [])
    line.wait_started(status)
    line.wait_progress(status)
    clock.now += 0.1
    line.wait_progress(status)  # too soon: not redrawn
    clock.now += 0.5
    line.wait_progress(status)
    line.wait_ended(status)
    assert written[0] == "\x1bD\x1bM\x1b7\x1bD\r"  # room below, cursor saved, moved down
    redraws = [text for text in written if text.startswith("\r\x1b[Kjobharness:")]
    assert len(redraws) == 2
    assert all("\n" not in text and len(text) - 4 <= 59 for text in redraws)
    assert written[-1] == "\r\x1b[K\x1b8"  # erased, cursor back where the runner left it


def test_elsewhere_plain_lines_come_at_an_interval() -> None:
    written: list[str] = []
    clock = Clock()
    line = _line(False, clock, written, show_after=2.0, interval=15.0)
    status = _status(2.5, [])
    line.wait_started(status)
    line.wait_progress(status)
    clock.now += 5
    line.wait_progress(status)
    clock.now += 11
    line.wait_progress(status)
    line.wait_ended(status)
    assert len(written) == 2
    assert all(text.startswith("\njobharness: ") and text.endswith("\n") for text in written)
    assert not any("\x1b" in text for text in written)


def test_a_wait_inside_a_wait_draws_nothing_of_its_own() -> None:
    written: list[str] = []
    clock = Clock()
    line = _line(False, clock, written, show_after=0.0)
    outer, inner = _status(1, []), _status(1, [])
    line.wait_started(outer)
    line.wait_started(inner)
    line.wait_progress(inner)
    line.wait_ended(inner)
    assert written == []
    line.wait_progress(outer)
    assert len(written) == 1


@pytest.mark.parametrize(
    ("given", "mode"),
    [("AUTO", ProgressMode.AUTO), ("yes", ProgressMode.ON), ("0", ProgressMode.OFF)],
)
def test_progress_mode_spellings(given: str, mode: ProgressMode) -> None:
    assert ProgressMode.parse(given) is mode


def test_a_misspelt_progress_mode_is_a_clear_error() -> None:
    with pytest.raises(ConfigurationError, match="progress must be one of auto, on, off"):
        ProgressMode.parse("sometimes")


def test_a_real_wait_draws_the_line(monkeypatch: pytest.MonkeyPatch) -> None:
    written: list[str] = []
    events: list[str] = []
    job = ScriptedJob("long", [JobState.RUNNING] * 30 + [JobState.SUCCEEDED], events)
    job.poll = PollPolicy.fixed(0.02)
    line = StatusLine(written.append, tty=False, show_after=0.0, interval=1000)
    with observing(line):
        wait_for([job], 30)
    assert len(written) == 1 and "running - " in written[0] and "scripted job long" in written[0]


class Broken(WaitObserver):
    """An observer whose console went away."""

    def __init__(self) -> None:
        self.calls = 0

    def wait_progress(self, status: WaitStatus) -> None:
        self.calls += 1
        raise OSError("console closed")


def test_a_failing_observer_is_dropped_and_the_wait_goes_on() -> None:
    events: list[str] = []
    broken = Broken()
    job = ScriptedJob("a", [JobState.RUNNING] * 4 + [JobState.SUCCEEDED], [])
    with observing(broken), observing(Recorder(events)):
        wait_for([job], 10)
    assert broken.calls == 1
    assert events[-2:] == ["change a succeeded", "end"]
