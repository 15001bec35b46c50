"""Readiness checks: how the launcher knows a process it started is ready.

A check is polled every few milliseconds until it returns the facts it found
(a dict, which becomes the process's ``info``) or the start-up times out. Each
check does one thing: a TCP port accepts connections (:class:`PortOpen`), a
file appears (:class:`FileAppears`), a line of the log matches
(:class:`LogLine`). Relative paths are taken from the process's work
directory.
"""

from __future__ import annotations

import json
import re
import socket
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

LOOPBACK = "127.0.0.1"
CONNECT_TIMEOUT = 0.2


class ReadinessCheck(ABC):
    """What "ready" means for one process; :meth:`begin` is called at each start."""

    @abstractmethod
    def begin(self, workdir: Path, log_file: Path) -> None:
        """Prepare for a start of a process that works in ``workdir`` and logs to ``log_file``."""

    @abstractmethod
    def poll(self) -> dict[str, Any] | None:
        """What shows the process ready, or None while it is not."""

    @abstractmethod
    def describe(self) -> str:
        """What the check waits for, for error messages."""


class PortOpen(ReadinessCheck):
    """Ready when a TCP connection to ``host:port`` succeeds; ``info`` gets host and port."""

    def __init__(self, port: int, host: str = LOOPBACK) -> None:
        self.port = port
        self.host = host

    def begin(self, workdir: Path, log_file: Path) -> None:
        """Nothing to prepare: a port is asked afresh each time."""

    def poll(self) -> dict[str, Any] | None:
        """``{"host": ..., "port": ...}`` once a connection succeeds."""
        try:
            with socket.create_connection((self.host, self.port), timeout=CONNECT_TIMEOUT):
                return {"host": self.host, "port": self.port}
        except OSError:
            return None

    def describe(self) -> str:
        """What the check waits for."""
        return f"port {self.host}:{self.port} to accept connections"


class FileAppears(ReadinessCheck):
    """Ready when ``path`` exists (a file left by an earlier start is removed first).

    With ``parse_json`` the file must hold a JSON object, which becomes
    ``info``; it is read again until it parses, so it may be written in
    pieces. Without, ``info`` is ``{"path": ...}``.
    """

    def __init__(self, path: str | Path, *, parse_json: bool = False) -> None:
        self.path = Path(path)
        self.parse_json = parse_json
        self._resolved = self.path

    def begin(self, workdir: Path, log_file: Path) -> None:
        """Resolve the path against ``workdir`` and remove a stale file."""
        self._resolved = workdir / self.path
        self._resolved.unlink(missing_ok=True)

    def poll(self) -> dict[str, Any] | None:
        """The file's JSON object, or ``{"path": ...}``, once the file is there."""
        if not self.parse_json:
            return {"path": str(self._resolved)} if self._resolved.exists() else None
        try:
            found = json.loads(self._resolved.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return dict(found) if isinstance(found, dict) else None

    def describe(self) -> str:
        """What the check waits for."""
        kind = "a JSON object in " if self.parse_json else ""
        return f"{kind}file {self._resolved}"


class LogLine(ReadinessCheck):
    """Ready when a line the process logs (after this start) matches ``pattern``.

    ``info`` gets the match's named groups.
    """

    def __init__(self, pattern: str | re.Pattern[str]) -> None:
        self.pattern = re.compile(pattern)
        self._log_file: Path | None = None
        self._offset = 0
        self._partial = b""

    def begin(self, workdir: Path, log_file: Path) -> None:
        """Start reading the log where it ends now."""
        self._log_file = log_file
        self._offset = log_file.stat().st_size if log_file.exists() else 0
        self._partial = b""

    def poll(self) -> dict[str, Any] | None:
        """The named groups of the first matching new line, if any."""
        if self._log_file is None:
            return None
        try:
            with self._log_file.open("rb") as log:
                log.seek(self._offset)
                data = log.read()
        except OSError:
            return None
        self._offset += len(data)
        *lines, self._partial = (self._partial + data).split(b"\n")
        for line in lines:
            match = self.pattern.search(line.decode("utf-8", errors="replace"))
            if match:
                return match.groupdict()
        return None

    def describe(self) -> str:
        """What the check waits for."""
        return f"a log line matching {self.pattern.pattern!r}"
