"""Answering the prompt hops of a route over a pipe, before the command's header shows.

``sudo -S`` and ``su`` print their password prompt on standard error and
read the answer on standard input, so no terminal is needed for them. A
:class:`Responder` reads what the hops print, replies to each prompt once
(with the first matching answer not used yet) and stops at a failure: a
hop's failure pattern, or a prompt that comes back after its answer (a
wrong password). Secret replies are never part of any text it produces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from jobharness.backends.terminal.errors import AuthRefused
from jobharness.backends.terminal.spec import Answer, PromptHop
from jobharness.redaction import Redactor, snippet

SEEN_LIMIT = 4096  # characters of hop output kept for matching


@dataclass
class Responder:
    """Replies to the prompts of ``hops`` in what they print; raises when one refuses."""

    hops: tuple[PromptHop, ...]
    redact: Redactor = field(default_factory=Redactor)
    _used: set[int] = field(default_factory=set)
    _seen: str = ""

    def _answers(self) -> list[tuple[int, PromptHop, Answer]]:
        found: list[tuple[int, PromptHop, Answer]] = []
        for hop in self.hops:
            for answer in hop.answers:
                found.append((len(found), hop, answer))
        return found

    def feed(self, text: str) -> list[bytes]:
        """Take more of what the hops printed; return the replies to send, in order."""
        self._seen = (self._seen + text)[-SEEN_LIMIT:]
        for hop in self.hops:
            for pattern in hop.failures:
                if re.search(pattern, self._seen):
                    raise AuthRefused(
                        f"{hop.describe()} refused: {self.redact(snippet(self._seen))}"
                    )
        replies: list[bytes] = []
        for index, hop, answer in self._answers():
            if not re.search(answer.expect, self._seen, re.MULTILINE):
                continue
            if index in self._used:
                raise AuthRefused(
                    f"{hop.describe()} asked again after its answer (a wrong password?): "
                    f"{self.redact(snippet(self._seen))}"
                )
            self._used.add(index)
            replies.append(answer.reply.encode() + b"\n")
            self._seen = ""
            break
        return replies

    @property
    def seen(self) -> str:
        """What the hops printed since the last reply, secrets masked."""
        return self.redact(self._seen)
