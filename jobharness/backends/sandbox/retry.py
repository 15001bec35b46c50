"""How the sandbox clients try again: a refused execution until the deadline, -1 on request.

* A 503 on ``POST execute/`` means no container was free: the server
  refused before running anything, so the request may be sent again, and
  the real pool needs patience (a container comes back about 11 s after
  its request). :class:`SandboxRetryPolicy` sends it again until the call's
  deadline, with backoff, whatever the retry count; every other failure
  keeps that count.
* Status -1 can mean that a container was removed under the request (the
  command never started) or that a command wrote output that is not UTF-8
  (it did run). An execution answered -1 is sent again only as often as the
  caller allows with ``repeat_unknown`` (:func:`repeat_count`): never by
  default.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Any

from jobharness.deadline import Deadline
from jobharness.errors import ConfigurationError
from jobharness.transport.retry import RetryPolicy


@dataclass(frozen=True)
class SandboxRetryPolicy(RetryPolicy):
    """The shared policy, except that a refusal is retried until the deadline.

    ``retries=0`` still turns retrying off altogether.
    """

    def after_status(
        self,
        attempt: int,
        status: int,
        idempotent: bool,
        deadline: Deadline,
        refused_statuses: Collection[int] = (),
        retry_after: float = 0.0,
    ) -> float | None:
        """The pause before sending again after ``status``; no count limits a refusal."""
        if status in refused_statuses and self.retries != 0:
            patient = replace(self, retries=None)
            return RetryPolicy.after_status(
                patient, attempt, status, idempotent, deadline, refused_statuses, retry_after
            )
        return super().after_status(
            attempt, status, idempotent, deadline, refused_statuses, retry_after
        )


def repeat_count(value: Any, what: str = "repeat_unknown") -> int:
    """``value`` as a number of repeats (a whole number of 0 or more), else ConfigurationError."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigurationError(
            f"{what} must be a whole number of 0 or more (how often an execution answered "
            f"with status -1 is sent again), got {value!r}"
        )
    return value
