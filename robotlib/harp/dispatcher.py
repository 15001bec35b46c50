"""Dispatcher calls: submit, assert on the outcome, read and follow streams."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from jobharness.backends.harp import CallOptions, RemoteCall
from jobharness.backends.harp.protocol import call_arguments
from jobharness.jobs import Job
from robotlib._core.connections import UsesConnection
from robotlib._core.conversions import caller_id, renamed_argument, seconds
from robotlib._core.jobs import WaitKeywords
from robotlib._core.logging import log_body
from robotlib.harp.connection import HarpConnection


def _expected(expected: Any, actual: Any) -> Any:
    """``expected`` as given, or parsed as JSON when it is text and ``actual`` is not."""
    if isinstance(expected, str) and not isinstance(actual, str):
        try:
            return json.loads(expected)
        except ValueError:
            return expected
    return expected


class HarpWaits(WaitKeywords):
    """The shared waits; a harp call's wait returns its value (``None`` unless it succeeded)."""

    def returned(self, job: Job) -> Any:
        """The call's value once it succeeded, else ``None``."""
        return job.result.value if job.done else None

    def result_rows(self, job: Job) -> list[tuple[str, Any]]:
        """The call's ``host.procedure``."""
        return [("call", job.name)]


class DispatcherKeywords(UsesConnection[HarpConnection]):
    """Calls through the dispatcher."""

    @keyword
    def submit_harp_call(
        self,
        procedure: str,
        *args: Any,
        host: str | None = None,
        queue: dict[str, Any] | None = None,
        concurrency: int | None = None,
        job_timeout: timedelta | None = None,
        max_exec_time: timedelta | None = None,
        info: Any = None,
        dispatcher: str | None = None,
        timeout: timedelta | None = None,
        **kwargs: Any,
    ) -> RemoteCall:
        """Submit ``procedure`` to the dispatcher; return the call's job handle at once.

        Arguments are positional or named, never both (named ones that clash with
        the options below cannot be passed). ``host`` is the target in the
        dispatcher's registry (default: the connection's host, ``local`` for the
        embedded servers). ``queue`` (a dictionary naming the queue) and
        ``concurrency`` limit parallel runs; ``job_timeout`` is the job's time
        limit, which the dispatcher enforces (its ``timeout`` field; it also
        applies it as ``max_exec_time``, which it otherwise ignores);
        ``timeout`` is its older, deprecated name here.
        ``info`` is stored with the job (default: the test's caller id).
        The call is cancelled when the test ends unfinished (see Cleanup).

        | ${call}= | Submit Harp Call | sleep | ${1} | job_timeout=30 s |
        | ${call}= | Submit Harp Call | restart | host=web01 | queue=${{ {"svc": "nginx"} }} |
        """
        limit = renamed_argument("Submit Harp Call", "timeout", "job_timeout", timeout, job_timeout)
        caller, default_host = self.connection.caller(dispatcher)
        options = CallOptions.build(
            queue,
            concurrency,
            limit,
            max_exec_time,
            info if info is not None else {"caller": caller_id()},
        )
        target = host or default_host
        call = caller.submit(target, procedure, call_arguments(args, kwargs), options)
        logger.info(f"submitted harp job {call.id}: {target}.{procedure}")
        log_body(
            "request",
            json.dumps(
                {"arguments": call_arguments(args, kwargs), **options.fields()}, default=repr
            ),
        )
        self.ctx.track(call)
        return call

    def _ended(self, call: RemoteCall, timeout: timedelta | None) -> None:
        call.fetch_outcome(wait=True, timeout=seconds(timeout, self.ctx.default_timeout))
        self.ctx.job_log.changes(call)

    @keyword
    def harp_result_should_be(
        self, call: RemoteCall, expected: Any, timeout: timedelta | None = None
    ) -> None:
        """Wait for ``call`` (up to ``timeout``) and check that it returned ``expected``.

        ``expected`` given as text is read as JSON when the value is not text
        (``{"sum": 42}``, ``[1, 2]``, ``3``, ``null``). Fails with the remote
        exception or error when the call did not succeed.

        | Harp Result Should Be | ${call} | {"sum": 42, "difference": -38} |
        | Harp Result Should Be | ${call} | pong |
        """
        self._ended(call, timeout)
        value = call.get(wait=False)
        wanted = _expected(expected, value)
        if value != wanted:
            raise AssertionError(f"{call.summary()} returned {value!r}, expected {wanted!r}")

    @keyword
    def harp_call_should_raise(
        self,
        call: RemoteCall,
        type: str,
        message: str | None = None,
        timeout: timedelta | None = None,
    ) -> None:
        """Wait for ``call`` and check it ended in a remote exception (or harp error) of ``type``.

        ``type`` is the exception class name (``ValueError``) or a harp error type
        (``unknown_host``, ``missing_result``, ``timeout``); ``message``, if given,
        must be the exact message.

        | Harp Call Should Raise | ${call} | ValueError | bad thing |
        | Harp Call Should Raise | ${call} | unknown_host |
        """
        self._ended(call, timeout)
        outcome = call.outcome
        assert outcome is not None
        if outcome.kind not in ("exception", "error"):
            raise AssertionError(f"{call.summary()} did not raise; it ended with {outcome.kind}")
        if outcome.type != type:
            raise AssertionError(
                f"{call.summary()} raised {outcome.type}: {outcome.message}, expected {type}"
            )
        if message is not None and outcome.message != message:
            raise AssertionError(
                f"{call.summary()} raised {outcome.type} with message {outcome.message!r}, "
                f"expected {message!r}"
            )
        logger.info(f"{call.summary()} raised {outcome.type}: {outcome.message}")

    @keyword
    def follow_harp_stream(
        self,
        call: RemoteCall,
        since: int | None = 0,
        recent: int | None = None,
        timeout: timedelta | None = None,
        log: bool = True,
        numbered: bool = False,
    ) -> list[Any]:
        """Follow ``call``'s stream until the call ends; return the packets as a list.

        Starts at packet ``since`` (default ``0``: the whole stream) or ``recent``
        packets before the current end (then give ``since=None``). A cut
        connection is resumed after the last packet seen, so nothing is lost or
        repeated. Each packet is logged at INFO when ``log`` is true;
        ``numbered=True`` returns ``[number, data]`` pairs. ``timeout`` (default:
        the library's) bounds the whole follow.

        | ${items}= | Follow Harp Stream | ${call} |
        | ${last}= | Follow Harp Stream | ${call} | since=${None} | recent=${5} | log=False |
        """
        if recent is not None:
            since = None
        packets: list[Any] = []
        limit = seconds(timeout, self.ctx.default_timeout)
        for number, data in call.follow(since, recent, numbered=True, timeout=limit):
            if log:
                logger.info(f"packet {number}: {json.dumps(data, default=repr)}")
            packets.append([number, data] if numbered else data)
        self.ctx.job_log.changes(call)
        logger.info(f"followed {len(packets)} packet(s) of {call.summary()}")
        return packets

    @keyword
    def get_harp_stream(
        self,
        call: RemoteCall,
        since: int | None = None,
        recent: int | None = None,
        numbered: bool = False,
    ) -> list[Any]:
        """Return the packets of ``call``'s stream stored so far, without waiting.

        ``since`` (default: from the start) or ``recent`` choose where to start;
        ``numbered=True`` returns ``[number, data]`` pairs.

        | ${so_far}= | Get Harp Stream | ${call} |
        """
        items = [
            [number, data] if numbered else data
            for number, data in call.stream(since, recent, numbered=True)
        ]
        self.ctx.job_log.changes(call)
        logger.info(f"read {len(items)} stored packet(s) of {call.summary()}")
        return items
