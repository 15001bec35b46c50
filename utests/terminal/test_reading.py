"""Reading until something shows: matching that stays linear, a bounded buffer, line ends."""

from __future__ import annotations

import os
import re
import tty

import pytest

from jobharness.backends.terminal import ReadTimedOut, SessionBroken
from jobharness.backends.terminal.reading import (
    Found,
    Literal,
    PtyReader,
    ReadBuffer,
    Regexp,
    read_until,
)
from jobharness.deadline import Deadline
from jobharness.errors import ConfigurationError


class Counting(Literal):
    """A literal matcher that counts the characters it was given to search."""

    searched = 0

    def search(self, text: str, pos: int = 0) -> Found | None:
        self.searched += len(text) - pos
        return super().search(text, pos)


def feed(buffer: ReadBuffer, matcher: Literal | Regexp, pieces: list[str]) -> Found | None:
    buffer.restart_search()
    for piece in pieces:
        buffer.append(piece)
        found = buffer.find(matcher)
        if found is not None:
            return found
    return None


def test_a_literal_split_over_many_reads_is_found() -> None:
    buffer = ReadBuffer()
    found = feed(buffer, Literal("DONE-42"), ["xx DO", "N", "E-", "4", "2 tail"])
    assert found is not None
    assert buffer.take(found.end) == "xx DONE-42"
    assert buffer.take() == " tail"


def test_matching_is_linear_in_the_output() -> None:
    lines = [f"line {n}\n" for n in range(10_000)]
    matcher = Counting("the end")
    buffer = ReadBuffer()
    assert feed(buffer, matcher, [*lines, "the end"]) is not None
    total = sum(map(len, lines)) + len("the end")
    assert matcher.searched <= total + len(lines) * len("the end")


def test_a_regexp_sees_line_starts_across_reads() -> None:
    buffer = ReadBuffer()
    matcher = Regexp(re.compile(r"(?m)^(\d+) passed$"))
    found = feed(buffer, matcher, ["running\n12", " passed", "\nmore"])
    assert found is not None and found.match is not None and found.match.group(1) == "12"
    assert buffer.take(found.end).endswith("12 passed")
    middle = feed(ReadBuffer(), Regexp(r"(?m)^passed$"), ["x passe", "d\n"])
    assert middle is None  # "passed" does not start a line there


def test_the_buffer_is_bounded_and_counts_what_it_dropped() -> None:
    buffer = ReadBuffer(limit=2048)
    for _ in range(100):
        buffer.append("x" * 100)
    assert len(buffer) == 2048 and buffer.dropped == 100 * 100 - 2048
    buffer.append("END")
    found = buffer.find(Literal("END"))
    assert found is not None and len(buffer.take(found.end)) == 2048


def test_bad_matchers_are_refused() -> None:
    with pytest.raises(ConfigurationError):
        Literal("")
    with pytest.raises(ConfigurationError, match="not a regular expression"):
        Regexp("(")
    with pytest.raises(ConfigurationError):
        ReadBuffer(limit=10)


def test_line_ends_fold_across_reads_and_the_end_is_reported() -> None:
    read_fd, write_fd = os.openpty()
    tty.setraw(write_fd)  # bytes pass as written: the test writes the terminal's "\r\n"
    try:
        reader = PtyReader(read_fd, "test pty")
        buffer = ReadBuffer()
        os.write(write_fd, b"one\r")
        first = reader.read(Deadline(5))
        os.write(write_fd, b"\ntwo\r\nDONE caf\xc3")
        second = reader.read(Deadline(5))
        os.write(write_fd, b"\xa9\r\n")
        third = reader.read(Deadline(5))
        assert first + second + third == "one\ntwo\nDONE caf\xe9\n"
        buffer.append("prompt> ")
        text, found = read_until(reader, buffer, Literal("> "), Deadline(1))
        assert text == "prompt> " and found.end == len(text)
        with pytest.raises(ReadTimedOut, match=r"'never' did not show within 0.2 s") as caught:
            os.write(write_fd, b"secret-ish output")
            read_until(reader, buffer, Literal("never"), Deadline(0.2), shown=str.upper)
        assert caught.value.output == "SECRET-ISH OUTPUT"
        assert buffer.take() == "secret-ish output"  # still unread
    finally:
        os.close(write_fd)
    with pytest.raises(SessionBroken, match="end of file"):
        read_until(reader, buffer, Literal("never"), Deadline(5))
    os.close(read_fd)


def test_liveness_ends_a_read_at_once() -> None:
    read_fd, write_fd = os.openpty()
    try:
        reader = PtyReader(read_fd, "test pty")
        with pytest.raises(SessionBroken, match="heartbeat lost"):
            read_until(
                reader, ReadBuffer(), Literal("x"), Deadline(30), liveness=lambda: "heartbeat lost"
            )
    finally:
        os.close(write_fd)
        os.close(read_fd)
