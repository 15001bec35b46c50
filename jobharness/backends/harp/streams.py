"""Reading a call's stream: stored pages (``read_stream``) and live follows (``follow_stream``).

Packets come in order, each number once, none missing:

* a cut connection is opened again from the packet after the last one seen,
  and numbers already seen are dropped;
* a follow can lose a live packet without a word (protocol §1.6: HarpCaller's
  follower reads the stored packets, then registers for live ones, and a
  packet stored in between is never sent). Stored packets are complete, so
  every gap is read from the stored stream (``read_stream`` from the first
  missing number) before the packet after it: a first packet above the
  requested ``since``, a number above the last one + 1, and, when the end
  comes, packets stored after the last one seen. A follow that starts
  ``recent`` packets before the end has no known first number: only gaps
  after its first packet can be seen;
* a gap that the stored stream cannot fill either is a
  :class:`~jobharness.errors.ProtocolError`, never skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from jobharness.backends.harp.outcome import require_terminal
from jobharness.backends.harp.protocol import parse_packet
from jobharness.deadline import Deadline, bounded
from jobharness.errors import (
    ConnectionLost,
    ProtocolError,
    RequestTimedOut,
    ServerUnreachable,
    TransportError,
    WaitTimeout,
)

if TYPE_CHECKING:
    from jobharness.backends.harp.job import RemoteCall

log = logging.getLogger("jobharness.harp")

Packet = tuple[int, Any]


class StreamIterator(Iterator[Any]):
    """Iterates over a call's stream packets: the data, or ``(number, data)`` when numbered."""

    def __init__(self, packets: Iterator[Packet], numbered: bool) -> None:
        self._packets = packets
        self.numbered = numbered
        self._items = packets if numbered else (data for _, data in packets)

    def __iter__(self) -> StreamIterator:
        return self

    def __next__(self) -> Any:
        return next(self._items)

    def all(self) -> list[Any]:
        """Every remaining packet, in one list."""
        return list(self)

    def close(self) -> None:
        """Stop reading and close the connection."""
        close = getattr(self._packets, "close", None)
        if close is not None:
            close()


class StreamReader:
    """Reads the stream of ``call`` within ``deadline`` (one reader per iteration)."""

    def __init__(self, call: RemoteCall, deadline: Deadline) -> None:
        self.call = call
        self.deadline = deadline
        self.source = call.source

    def _missing(self, start: int, stop: int, detail: str) -> ProtocolError:
        which = f"packets {start}-{stop - 1} are" if stop > start + 1 else f"packet {start} is"
        return ProtocolError(f"{self.call.context}: {which} missing from the stream: {detail}")

    def read(
        self, position: dict[str, int], until: int | None = None, remember: bool = True
    ) -> Iterator[Packet]:
        """The stored packets from ``position``, page after page while pages bring packets.

        With ``until``, stop before that packet (which must then be stored, as
        must every one before it). A terminal line is remembered as the
        call's outcome when ``remember`` is true.
        """
        call, deadline = self.call, self.deadline
        expected = None if "recent" in position else position.get("since", 0)
        request = dict(position)
        failures = 0
        while True:
            lines, fresh, jumped = 0, 0, -1
            end: dict[str, Any] = {}
            error: TransportError = ConnectionLost(
                f"{call.context}: read_stream from {self.source} ended without its last line"
            )
            try:
                with call._open("read_stream", deadline, **request) as connection:
                    for message in connection.messages(deadline):
                        lines += 1
                        packet = parse_packet(message, self.source)
                        if packet is None:
                            end = message
                            break
                        number = packet[0]
                        if expected is not None and number != expected:
                            if number < expected:
                                continue
                            jumped = number
                            break
                        expected, fresh = number + 1, fresh + 1
                        yield packet
                        if expected == until:
                            return
            except (ConnectionLost, ServerUnreachable) as exc:
                error = exc
            if jumped >= 0:
                assert expected is not None
                if not fresh and request.get("since", 0) == expected:
                    detail = (
                        f"read_stream from packet {expected} on {self.source} "
                        f"began at packet {jumped}"
                    )
                    raise self._missing(expected, jumped, detail)
                log.debug(
                    "%s: read_stream jumped to packet %s; reading again from packet %s",
                    call.context,
                    jumped,
                    expected,
                )
                request, failures = {"since": expected}, 0
                continue
            if end.get("continue") is True:
                if fresh and expected is not None:
                    request, failures = {"since": expected}, 0
                    continue
                if until is not None:
                    start = expected if expected is not None else position.get("since", 0)
                    detail = f"{self.source} sent no more stored packets"
                    raise self._missing(start, until, detail)
                return
            if end:
                outcome = require_terminal(end, self.source, "a packet or continue")
                if until is not None:
                    start = expected if expected is not None else position.get("since", 0)
                    raise self._missing(
                        start, until, f"{self.source} ended the stored stream first"
                    )
                if remember:
                    call._remember(outcome)
                return
            failures += 1
            if not lines:
                call._check_known(deadline)
            deadline.sleep(call._retry_pause(failures, error, deadline))
            if expected is not None:
                request = {"since": expected}

    def _fill(self, start: int, stop: int | None) -> Iterator[Packet]:
        """The packets ``start`` to ``stop - 1`` (to the end without ``stop``) from the store."""
        count = 0
        for packet in self.read({"since": start}, until=stop, remember=False):
            count += 1
            yield packet
        if count:
            log.debug(
                "%s: packets %s-%s were not sent by the follow; read from the stored stream",
                self.call.context,
                start,
                start + count - 1,
            )

    def _follow_timeout(self) -> WaitTimeout:
        return WaitTimeout(
            f"followed the stream of {self.call.summary()} for {self.deadline.timeout:g} s "
            "without reaching its end",
            [self.call],
        )

    def follow(self, position: dict[str, int]) -> Iterator[Packet]:
        """The packets as they come until the call ends, resumed after cuts, gaps filled."""
        call, deadline, source = self.call, self.deadline, self.source
        expected = position.get("since")
        failures = 0
        while True:
            request = {"since": expected} if expected is not None else dict(position)
            lines = 0
            error: TransportError = ConnectionLost(
                f"{call.context}: {source} closed the stream before its end"
            )
            try:
                with call._open("follow_stream", deadline, **request) as connection:
                    for message in connection.messages(deadline):
                        lines += 1
                        number = message.get("packet")
                        if type(number) is int and number >= 0 and "data" in message:
                            if expected is None or number == expected:
                                expected = number + 1
                                yield number, message["data"]
                            elif number > expected:
                                for packet in self._fill(expected, number):
                                    expected = packet[0] + 1
                                    yield packet
                                expected = number + 1
                                yield number, message["data"]
                            continue
                        parse_packet(message, source)  # raises for a malformed packet
                        outcome = require_terminal(message, source, "a packet or the end")
                        if expected is not None:
                            for packet in self._fill(expected, None):
                                expected = packet[0] + 1
                                yield packet
                        with bounded(deadline):
                            settled = call._checked(outcome, call.caller.transport.deadline())
                        if settled is None:
                            break  # still no result: follow again
                        call._remember(settled)
                        return
            except RequestTimedOut:
                raise self._follow_timeout() from None
            except (ConnectionLost, ServerUnreachable) as exc:
                error = exc
            if lines:
                failures = 0
            else:
                failures += 1
                if failures == 1:
                    call._check_known(deadline)
                if deadline.expired:
                    raise self._follow_timeout()
                deadline.sleep(call._retry_pause(failures, error, deadline))
            if deadline.expired:
                raise self._follow_timeout()
            log.debug(
                "%s: stream connection ended early (%s); resuming from packet %s",
                call.context,
                error,
                "start" if expected is None else expected,
            )
