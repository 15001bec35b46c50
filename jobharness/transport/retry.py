"""The one retry policy of every transport: what is sent again, how often, and never too late.

A request is repeated only when repeating it cannot do harm:

* nothing reached the server (the connection was refused or could not be
  made): any request may be sent again;
* the server answered a status that says it refused before acting
  (``refused_statuses``, such as the sandbox's 503 "no container free"):
  any request may be sent again;
* the answer was lost, cut or timed out, or the status is one of
  :attr:`RetryPolicy.statuses` (502, 503, 504): only an idempotent request
  (a read, a cancel) is sent again. A job submission never is.

A failed TLS handshake is never retried: it would fail the same way. No
pause runs past the deadline of the call: when the next attempt could not
start before it, the policy gives up and the last failure is raised.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field

from jobharness.deadline import Deadline
from jobharness.errors import (
    ConfigurationError,
    JobHarnessError,
    ServerError,
    ServerUnreachable,
    TLSFailed,
    TransportError,
)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How often a failed request is tried again and how long to pause in between.

    ``retries`` is the number of attempts after the first (``None``: as many
    as fit before the deadline); the pause starts at ``backoff`` seconds and
    doubles up to ``max_backoff``.
    """

    retries: int | None = 3
    backoff: float = 0.1
    max_backoff: float = 2.0
    statuses: frozenset[int] = RETRY_STATUSES

    def __post_init__(self) -> None:
        if self.retries is not None and (
            isinstance(self.retries, bool) or not isinstance(self.retries, int) or self.retries < 0
        ):
            raise ConfigurationError(
                f"retries must be a whole number of 0 or more (or None), got {self.retries!r}"
            )
        for name in ("backoff", "max_backoff"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
                or value < 0
            ):
                raise ConfigurationError(
                    f"{name} must be a finite number of seconds of 0 or more, got {value!r}"
                )

    @classmethod
    def build(cls, retries: int | None = 3, backoff: float = 0.1) -> RetryPolicy:
        """A policy from the ``retries``/``backoff`` arguments the clients take."""
        return cls(retries=retries, backoff=backoff)

    def pause(self, attempt: int) -> float:
        """The pause after the ``attempt``-th failed attempt (1 for the first)."""
        return float(min(self.max_backoff, self.backoff * 2.0 ** (attempt - 1)))

    def _next(self, attempt: int, deadline: Deadline, at_least: float = 0.0) -> float | None:
        if self.retries is not None and attempt > self.retries:
            return None
        pause = max(self.pause(attempt), at_least)
        # the next attempt needs some time of its own after the pause
        if pause >= deadline.remaining() - min(0.01, pause):
            return None
        return pause

    def after_error(
        self, attempt: int, error: JobHarnessError, idempotent: bool, deadline: Deadline
    ) -> float | None:
        """The pause before trying again after ``error``, or ``None`` to give up."""
        if isinstance(error, (TLSFailed, ServerError)) or not isinstance(error, TransportError):
            return None  # a TLS failure would repeat; a server's answer is after_status's
        if not isinstance(error, ServerUnreachable) and not idempotent:
            return None
        return self._next(attempt, deadline)

    def attempts(
        self, deadline: Deadline, idempotent: bool, refused_statuses: Collection[int] = ()
    ) -> Attempts:
        """The attempts of one call: iterate to count them, ask them when to stop."""
        return Attempts(self, deadline, idempotent, refused_statuses)

    def after_status(
        self,
        attempt: int,
        status: int,
        idempotent: bool,
        deadline: Deadline,
        refused_statuses: Collection[int] = (),
        retry_after: float = 0.0,
    ) -> float | None:
        """The pause before trying again after an answer with ``status``, or ``None``.

        ``retry_after`` is the server's ``Retry-After`` in seconds, if it sent one.
        """
        if status in refused_statuses or (idempotent and status in self.statuses):
            return self._next(attempt, deadline, retry_after)
        return None


@dataclass
class Attempts:
    """The attempts of one call under a :class:`RetryPolicy`, within its deadline.

    Every transport drives its calls the same way; only how it sleeps
    differs (``time.sleep`` or ``asyncio.sleep``)::

        attempts = policy.attempts(deadline, idempotent)
        for _ in attempts:
            try:
                answer = send()
            except TransportError as exc:
                sleep(attempts.failed(exc))      # raises exc when the policy gives up
                continue
            pause = attempts.answered(answer.status)
            if pause is None:
                return answer                    # keep this answer (good or bad)
            sleep(pause)
    """

    policy: RetryPolicy
    deadline: Deadline
    idempotent: bool
    refused_statuses: Collection[int] = ()
    count: int = field(default=0, init=False)

    def __iter__(self) -> Iterator[int]:
        while True:
            self.count += 1
            yield self.count

    def failed(self, error: TransportError) -> float:
        """The pause before the next attempt after ``error``; raises ``error`` to give up."""
        pause = self.policy.after_error(self.count, error, self.idempotent, self.deadline)
        if pause is None:
            raise error
        return pause

    def answered(self, status: int, retry_after: float = 0.0) -> float | None:
        """The pause before the next attempt after an answer; ``None`` to keep this answer."""
        return self.policy.after_status(
            self.count, status, self.idempotent, self.deadline, self.refused_statuses, retry_after
        )


def is_idempotent(method: str) -> bool:
    """True for the HTTP methods that may be sent twice without harm."""
    return method.upper() in IDEMPOTENT_METHODS


def retry_after_seconds(value: str | None) -> float:
    """The seconds of a ``Retry-After`` header given in seconds (dates are ignored), else 0."""
    if not value:
        return 0.0
    try:
        seconds = float(value.strip())
    except ValueError:
        return 0.0
    return seconds if math.isfinite(seconds) and seconds > 0 else 0.0
