"""The one retry policy: what may be sent again, how often, and never past the deadline."""

from __future__ import annotations

import math

import pytest

from jobharness.deadline import Deadline
from jobharness.errors import (
    ConfigurationError,
    ConnectionLost,
    ProtocolError,
    RequestTimedOut,
    ServerError,
    ServerUnreachable,
    TLSFailed,
    ValidationError,
)
from jobharness.transport.retry import RetryPolicy, is_idempotent, retry_after_seconds


class _Long:
    """A deadline made when it is used: one made at import would have run out in a long run."""

    def __getattr__(self, name: str) -> object:
        return getattr(Deadline(3600), name)


LONG: Deadline = _Long()  # type: ignore[assignment]


def test_nothing_sent_is_retried_for_any_request() -> None:
    policy = RetryPolicy(retries=2, backoff=0.1)
    refused = ServerUnreachable("refused")
    assert policy.after_error(1, refused, False, LONG) == 0.1
    assert policy.after_error(2, refused, False, LONG) == 0.2
    assert policy.after_error(3, refused, False, LONG) is None


@pytest.mark.parametrize("error", [ConnectionLost("cut"), RequestTimedOut("slow")])
def test_a_lost_answer_is_retried_only_for_idempotent_requests(error: Exception) -> None:
    policy = RetryPolicy()
    assert policy.after_error(1, error, True, LONG) == 0.1  # type: ignore[arg-type]
    assert policy.after_error(1, error, False, LONG) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "error",
    [TLSFailed("bad cert"), ServerError("500"), ProtocolError("garbage"), ValidationError("x")],
)
def test_what_would_fail_again_is_never_retried(error: Exception) -> None:
    expected = 0.1 if isinstance(error, ProtocolError) else None
    assert RetryPolicy().after_error(1, error, True, LONG) == expected  # type: ignore[arg-type]


def test_statuses() -> None:
    policy = RetryPolicy()
    assert policy.after_status(1, 503, True, LONG) == 0.1
    assert policy.after_status(1, 503, False, LONG) is None  # a submission
    assert policy.after_status(1, 503, False, LONG, refused_statuses=(503,)) == 0.1
    assert policy.after_status(1, 500, True, LONG) is None
    assert policy.after_status(1, 503, True, LONG, retry_after=1.5) == 1.5


def test_no_pause_runs_past_the_deadline() -> None:
    policy = RetryPolicy(retries=None, backoff=0.5)
    assert policy.after_error(1, ServerUnreachable("x"), True, Deadline(0.3)) is None
    assert policy.after_error(50, ServerUnreachable("x"), True, Deadline(60)) == 2.0


def test_pauses_double_up_to_the_cap() -> None:
    policy = RetryPolicy(backoff=0.1, max_backoff=0.3)
    assert [policy.pause(n) for n in (1, 2, 3, 4)] == [0.1, 0.2, 0.3, 0.3]


@pytest.mark.parametrize(
    "options",
    [{"retries": -1}, {"retries": 1.5}, {"retries": True}, {"backoff": math.nan}, {"backoff": -1}],
)
def test_bad_settings_are_refused(options: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        RetryPolicy(**options)  # type: ignore[arg-type]


def test_helpers() -> None:
    assert is_idempotent("get") and is_idempotent("DELETE") and not is_idempotent("POST")
    assert retry_after_seconds("2") == 2.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert retry_after_seconds(None) == 0.0 and retry_after_seconds("-3") == 0.0
