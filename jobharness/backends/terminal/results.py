"""What a command left: its status, standard output and standard error, apart."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from jobharness.backends.terminal.errors import CommandFailed
from jobharness.redaction import snippet


@dataclass(frozen=True)
class CommandResult:
    """How a command ended and what it printed.

    ``status`` is the exit status, or minus the signal number when a signal
    ended the command (``-15``); ``None`` when it is not known (the
    connection went away, or a killed command did not report in time).
    ``stdout`` and ``stderr`` are the text (UTF-8, undecodable bytes
    replaced); ``stdout_bytes`` and ``stderr_bytes`` the bytes. It unpacks
    like crl's result: ``status, stdout, stderr = result``.
    """

    status: int | None
    stdout_bytes: bytes = field(repr=False)
    stderr_bytes: bytes = field(repr=False)
    command: str = ""
    timed_out: bool = False
    pgid: int | None = None
    duration: float = 0.0

    @property
    def stdout(self) -> str:
        """Standard output as text."""
        return self.stdout_bytes.decode("utf-8", errors="replace")

    @property
    def stderr(self) -> str:
        """Standard error as text."""
        return self.stderr_bytes.decode("utf-8", errors="replace")

    @property
    def ok(self) -> bool:
        """True when the command exited with status 0."""
        return self.status == 0

    @property
    def signal(self) -> int | None:
        """The number of the signal that ended the command, if one did."""
        return -self.status if self.status is not None and self.status < 0 else None

    def check(self, *expected: int) -> CommandResult:
        """This result if its status is one of ``expected`` (default 0); else CommandFailed."""
        if self.status in (expected or (0,)):
            return self
        raise CommandFailed(
            f"command {snippet(self.command, 120)!r} ended with status {self.status}"
            f" (expected {' or '.join(map(str, expected or (0,)))}); "
            f"stderr: {snippet(self.stderr) or '(empty)'}",
            self,
        )

    def __iter__(self) -> Iterator[Any]:
        return iter((self.status, self.stdout, self.stderr))

    def __repr__(self) -> str:
        out = snippet(self.stdout, 60)
        err = snippet(self.stderr, 60)
        return f"CommandResult(status={self.status}, stdout={out!r}, stderr={err!r})"
