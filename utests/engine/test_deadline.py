"""The ground floor: timeouts that are refused when unusable, deadlines that nest."""

from __future__ import annotations

import math
import threading
import time
from datetime import timedelta

import pytest

from jobharness.deadline import (
    Deadline,
    bounded,
    current,
    describe_limit,
    parse_timeout,
    request_deadline,
)
from jobharness.errors import ConfigurationError
from jobharness.waiting import wait_for
from utests.timing import assert_ended_by


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(0, 0.0), (2, 2.0), (1.5, 1.5), ("3", 3.0), (" 0.25 ", 0.25), (timedelta(minutes=1), 60.0)],
)
def test_usable_timeouts(value: object, seconds: float) -> None:
    assert parse_timeout(value) == seconds


@pytest.mark.parametrize(
    "value", [-1, -0.001, math.nan, math.inf, -math.inf, "soon", "", None, True, [1], object()]
)
def test_unusable_timeouts_are_refused_naming_the_parameter(value: object) -> None:
    with pytest.raises(ConfigurationError, match=r"^poll_for must be a finite duration"):
        parse_timeout(value, "poll_for")


@pytest.mark.parametrize("value", [math.nan, -1, math.inf, "x"])
def test_a_wait_refuses_them_too(scripted: type, value: object) -> None:
    job = scripted("j", [])
    with pytest.raises(ConfigurationError, match="wait must be a finite duration"):
        wait_for([job], value)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        job.wait(value)


def test_waiting_on_something_that_is_not_a_job_is_a_clear_error() -> None:
    with pytest.raises(ConfigurationError, match="expected a sequence of jobs, got str"):
        wait_for("x", 1)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match=r"jobs\[0\] is a int"):
        wait_for([1], 1)  # type: ignore[list-item]


def test_the_earlier_deadline_stays_in_force() -> None:
    assert current() is None
    outer = Deadline(0.5, "wait")
    with bounded(outer) as effective:
        assert effective is outer and current() is outer
        with bounded(Deadline(60, "cleanup")) as inner:
            assert inner is outer
        with bounded(Deadline(0.1, "cancel")) as inner:
            assert inner is not outer and current() is inner
        assert current() is outer
    assert current() is None


def test_a_request_takes_the_earlier_of_its_timeout_and_the_wait() -> None:
    alone = request_deadline(30)
    assert alone.what == "request" and 29 < alone.remaining() <= 30
    assert describe_limit(alone) == "30 s"
    with bounded(Deadline(1, "wait")):
        capped = request_deadline(30)
        assert capped.remaining() <= 1
        assert describe_limit(capped) == "the wait's 1 s"
        assert request_deadline(0.2).what == "request"


def test_each_thread_has_its_own_current_deadline() -> None:
    seen: list[Deadline | None] = []
    with bounded(Deadline(5, "wait")):
        thread = threading.Thread(target=lambda: seen.append(current()))
        thread.start()
        thread.join()
    assert seen == [None]


def test_sleep_stops_at_the_deadline() -> None:
    deadline = Deadline(0.1)
    started = time.monotonic()
    deadline.sleep(30)
    assert_ended_by(time.monotonic() - started, 0.1)
    assert deadline.expired and deadline.remaining() == 0
