"""Reading a pseudo-terminal until something shows: linear matching, a bounded buffer.

An interactive session reads what its terminal prints into a
:class:`ReadBuffer` and waits for a :class:`Matcher` to find something in
it. Matching never goes over the same text twice: a new chunk is searched
together with only the end of what came before (the matcher's
``overlap``: the length of a literal minus one, or a regexp's window), so
reading N characters costs O(N) whatever the output. The buffer keeps at
most ``limit`` characters; older output is dropped (and counted) rather
than held without bound.

Text is decoded as UTF-8 (bad bytes replaced) and line ends come out as
``\\n``: the terminal's ``\\r\\n`` (and ``\\r\\r\\n`` from a program that
wrote ``\\r\\n``) is folded, also across reads.
"""

from __future__ import annotations

import codecs
import errno
import os
import re
import select
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from jobharness.backends.terminal.errors import ReadTimedOut, SessionBroken
from jobharness.deadline import Deadline
from jobharness.errors import ConfigurationError

READ_SIZE = 64 * 1024
GATHER_LIMIT = 1024 * 1024  # characters gathered from one burst before a search
_LINE_END = re.compile(r"\r+\n")
SLICE = 0.05  # longest single wait, so Ctrl-C, Robot's timeout and liveness checks cut in
DEFAULT_LIMIT = 16 * 1024 * 1024
"""Characters a session keeps unread before it drops the oldest."""
REGEXP_WINDOW = 64 * 1024
"""How far back from new output a regexp match may start (characters)."""


@dataclass(frozen=True)
class Found:
    """Where a matcher found its text: ``start`` and ``end`` offsets, and the regexp match."""

    start: int
    end: int
    match: re.Match[str] | None = None


class Matcher:
    """What a read waits for; :meth:`search` finds it in a piece of text."""

    overlap: int = 0
    """Characters of earlier text a match may reach back into from new text."""

    def search(self, text: str, pos: int = 0) -> Found | None:
        """The first occurrence in ``text`` starting at ``pos`` or later, or None.

        What comes before ``pos`` is context only (a regexp's ``^`` sees it).
        """
        raise NotImplementedError

    def describe(self) -> str:
        """How messages name what was waited for."""
        raise NotImplementedError


class Literal(Matcher):
    """A literal string."""

    def __init__(self, expected: str) -> None:
        if not expected:
            raise ConfigurationError("the text to read until is empty")
        self.expected = expected
        self.overlap = len(expected) - 1

    def search(self, text: str, pos: int = 0) -> Found | None:
        """The first occurrence of the string."""
        start = text.find(self.expected, pos)
        return None if start < 0 else Found(start, start + len(self.expected))

    def describe(self) -> str:
        """``'text'``."""
        return repr(self.expected)


class Regexp(Matcher):
    """A regular expression whose match may reach ``window`` characters back into older text."""

    def __init__(self, pattern: str | re.Pattern[str], window: int = REGEXP_WINDOW) -> None:
        try:
            self.pattern = pattern if isinstance(pattern, re.Pattern) else re.compile(pattern)
        except re.error as exc:
            raise ConfigurationError(f"{pattern!r} is not a regular expression: {exc}") from None
        if not self.pattern.pattern:
            raise ConfigurationError("the regular expression to read until is empty")
        self.overlap = window

    def search(self, text: str, pos: int = 0) -> Found | None:
        """The first match."""
        match = self.pattern.search(text, pos)
        return None if match is None else Found(match.start(), match.end(), match)

    def describe(self) -> str:
        """``regexp 'pattern'``."""
        return f"regexp {self.pattern.pattern!r}"


class ReadBuffer:
    """What a terminal printed and nobody consumed yet, at most ``limit`` characters.

    Kept as the pieces read (never joined whole while waiting), so adding,
    searching and taking each cost what they touch.
    """

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        if limit < 1024:
            raise ConfigurationError(f"buffer limit must be 1024 characters or more, got {limit}")
        self.limit = limit
        self.dropped = 0
        self._parts: deque[str] = deque()
        self._start = 0  # characters of the first piece already consumed
        self._size = 0
        self._searched = 0  # unread characters the current matcher has searched

    def __len__(self) -> int:
        return self._size

    def append(self, text: str) -> None:
        """Add ``text``; drop the oldest output beyond the limit."""
        if not text:
            return
        self._parts.append(text)
        self._size += len(text)
        if self._size > self.limit:
            self._drop(self._size - self.limit)

    def _drop(self, count: int) -> None:
        self.dropped += count
        self._searched = max(0, self._searched - count)
        self._consume(count)

    def _consume(self, count: int) -> list[str]:
        """Remove the first ``count`` unread characters; the pieces they were."""
        taken: list[str] = []
        self._size -= count
        while count > 0:
            first = self._parts[0]
            available = len(first) - self._start
            if count < available:
                taken.append(first[self._start : self._start + count])
                self._start += count
                break
            taken.append(first[self._start :] if self._start else first)
            self._parts.popleft()
            self._start = 0
            count -= available
        return taken

    def tail(self, count: int) -> str:
        """The last ``count`` unread characters (all when there are fewer)."""
        pieces: list[str] = []
        need = min(count, self._size)
        for index in range(len(self._parts) - 1, -1, -1):
            if need <= 0:
                break
            part = self._parts[index]
            usable = len(part) - (self._start if index == 0 else 0)
            piece = part[len(part) - min(need, usable) :]
            pieces.append(piece)
            need -= len(piece)
        return "".join(reversed(pieces))

    def take(self, end: int | None = None) -> str:
        """Remove and return the unread text up to ``end`` (all of it by default)."""
        count = self._size if end is None else min(end, self._size)
        self._searched = 0
        return "".join(self._consume(count))

    def restart_search(self) -> None:
        """The next :meth:`find` searches the whole unread text (a new matcher)."""
        self._searched = 0

    def find(self, matcher: Matcher) -> Found | None:
        """Search what was not searched yet (with the matcher's overlap); mark it searched."""
        start = max(0, self._searched - matcher.overlap)
        if self._size <= start or self._size == self._searched:
            return None
        context = 1 if start else 0  # one character before, so ``^`` knows a line start
        found = matcher.search(self.tail(self._size - start + context), context)
        self._searched = self._size
        if found is None:
            return None
        shift = start - context
        return Found(found.start + shift, found.end + shift, found.match)


class PtyReader:
    """Reads a pseudo-terminal's master side as text, never past a deadline."""

    def __init__(self, fd: int, what: str) -> None:
        self.fd = fd
        self.what = what
        self.ended = False
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._held = ""  # "\r"s held back: they may start a "\r\n"

    def _decode(self, data: bytes, final: bool = False) -> str:
        text = self._held + self._decoder.decode(data, final)
        self._held = ""
        if not final:
            kept = text.rstrip("\r")
            text, self._held = kept, text[len(kept) :]
        return _LINE_END.sub("\n", text)

    def read(self, deadline: Deadline, wait: float = SLICE) -> str:
        """What is there now, or comes within ``wait`` (and the deadline); "" if nothing.

        Gathers a burst (up to :data:`GATHER_LIMIT` characters) before it
        returns, so fast output is searched in few large pieces. Raises
        :class:`SessionBroken` at the end of the output, once what came
        before it was returned.
        """
        if self.ended:
            raise SessionBroken(f"{self.what}: the terminal has ended")
        if not select.select([self.fd], [], [], deadline.cap(wait))[0]:
            return ""
        pieces: list[str] = []
        size = 0
        while size < GATHER_LIMIT:
            try:
                data = os.read(self.fd, READ_SIZE)
            except OSError as exc:  # Linux: EIO once the terminal's other side is closed
                if exc.errno != errno.EIO:
                    raise
                data = b""
            if not data:
                self.ended = True
                pieces.append(self._decode(b"", final=True))
                break
            text = self._decode(data)
            pieces.append(text)
            size += len(text)
            if not select.select([self.fd], [], [], 0)[0]:
                break
        text = "".join(pieces)
        if self.ended and not text:
            raise SessionBroken(f"{self.what}: the terminal ended (end of file)")
        return text


Liveness = Callable[[], str | None]
"""Returns why the peer is known to be gone (a heartbeat failed), or None."""


def read_until(
    reader: PtyReader,
    buffer: ReadBuffer,
    matcher: Matcher,
    deadline: Deadline,
    *,
    liveness: Liveness | None = None,
    shown: Callable[[str], str] = str,
    record: Callable[[str], None] | None = None,
) -> tuple[str, Found]:
    """Read until ``matcher`` finds its text; the text up to its end, and where it was.

    What follows the match stays in ``buffer``. At the deadline
    :class:`ReadTimedOut` (with the tail of what was seen, through
    ``shown``, which masks secrets); at the end of the output or when
    ``liveness`` names a reason, :class:`SessionBroken`. ``record`` sees
    every piece of output as it is read.
    """
    buffer.restart_search()
    while True:
        found = buffer.find(matcher)
        if found is not None:
            return buffer.take(found.end), Found(found.start, found.end, found.match)
        reason = liveness() if liveness is not None else None
        if reason is not None:
            raise SessionBroken(f"{reader.what}: {reason}; seen: {_tail(buffer, shown)}")
        if deadline.expired:
            seen = shown(buffer.tail(2000))
            raise ReadTimedOut(
                f"{reader.what}: {matcher.describe()} did not show within "
                f"{deadline.timeout:g} s; the output ends: {_tail(buffer, shown)}",
                seen,
            )
        try:
            text = reader.read(deadline)
        except SessionBroken as exc:
            raise SessionBroken(f"{exc}; seen: {_tail(buffer, shown)}") from None
        if record is not None:
            record(text)
        buffer.append(text)


def _tail(buffer: ReadBuffer, shown: Callable[[str], str], limit: int = 300) -> str:
    text = shown(buffer.tail(limit)).strip()
    return repr(text) if text else "(nothing)"
