"""Commands and file copies of a terminal through its remote Python agent.

The second way to run :meth:`Terminal.run <.client.Terminal.run>` and the
single-file copies, chosen per terminal with ``via_agent`` (Robot: the
target property ``through_agent``). The agent is started once on a bare
channel of the terminal's connection (through its prompt hops) and kept;
after that:

* a command is one request and one reply: the agent runs the shell line in a
  process group of its own and sends back the status, standard output and
  standard error apart; at the timeout the group gets SIGTERM, and SIGKILL
  ``kill_grace`` seconds later (status ``-15`` or ``-9``);
* a file moves as raw bytes after a small JSON head in each frame (no base64,
  no pickle), :data:`CHUNK` bytes per request: a file up to that size is one
  round trip each way. Sizes are checked after every copy.

The ssh way (an exec channel per command, SFTP for copies) needs no Python
on the target and streams output line by line; the agent way needs
``python3`` there, saves the channel set-up per command and keeps state
between calls. A command with a ``stream`` callback always takes the ssh way.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from jobharness.backends.terminal.agentstream import RoutePython
from jobharness.backends.terminal.autorunner import AutoRunnerTerminal
from jobharness.backends.terminal.errors import CommandTimedOut, TerminalError, TransferFailed
from jobharness.backends.terminal.results import CommandResult
from jobharness.deadline import Deadline
from jobharness.redaction import snippet

if TYPE_CHECKING:
    from jobharness.backends.terminal.client import Terminal

CHUNK = 16 << 20
"""Bytes of a file per request (16 MiB): one frame each way."""
REPLY_MARGIN = 5.0
"""Seconds a command's reply may take past its timeout and kill grace."""


class AgentRoute:
    """Runs commands and copies files of one terminal through an agent it starts on first use."""

    def __init__(self, terminal: Terminal, python: str = "python3") -> None:
        self.terminal = terminal
        self.runner = AutoRunnerTerminal(
            RoutePython(terminal, python),
            default_timeout=terminal.default_timeout,
            start_timeout=terminal.request_timeout,
        )

    def _request(self, payload: dict[str, Any], what: str, timeout: float) -> Any:
        """One request to the agent (started or restarted as needed)."""
        return self.runner._request(payload, what, timeout=max(timeout, 0.001))

    def run(
        self,
        line: str,
        command: str,
        timeout: float,
        *,
        stdin: bytes,
        raise_on_timeout: bool,
    ) -> CommandResult:
        """Run the shell ``line`` (``command`` with its prologue) within ``timeout``."""
        started = time.monotonic()
        grace = self.terminal.kill_grace
        payload = {"op": "run", "cmd": line, "timeout": timeout, "grace": grace, "ret": "value"}
        if stdin:
            payload["input"] = stdin
        what = f"command {self.terminal.redact(snippet(command, 120))!r}"
        reply = self._request(payload, what, timeout + grace + REPLY_MARGIN)
        result = _result(reply, self.terminal.redact(command), time.monotonic() - started)
        if result.timed_out and raise_on_timeout:
            raise CommandTimedOut(
                f"{what} on {self.terminal.describe()} (through the agent) did not end within "
                f"{timeout:g} s: its process group {result.pgid} was sent SIGTERM (status "
                f"{result.status}); stdout: {snippet(result.stdout) or '(empty)'}",
                result,
            )
        return result

    # -- files ----------------------------------------------------------------------------

    def write(self, remote: str, data: bytes, mode: int | None, deadline: Deadline) -> int:
        """Make ``remote`` hold ``data`` (then ``mode``); the size it has."""
        size = 0
        for offset in range(0, max(len(data), 1), CHUNK):
            last = offset + CHUNK >= len(data)
            payload: dict[str, Any] = {"op": "write", "path": remote, "ret": "value"}
            payload["data"] = data[offset : offset + CHUNK]
            payload["append"] = offset > 0
            payload["mode"] = mode if last else None
            size = self._request(payload, f"write {remote}", deadline.remaining())
        return self._checked(size, len(data), remote)

    def read(self, remote: str, sink: Callable[[bytes], Any], deadline: Deadline) -> int:
        """Give the content of ``remote`` to ``sink`` chunk by chunk; its size."""
        offset = 0
        while True:
            payload = {"op": "read", "path": remote, "offset": offset, "size": CHUNK}
            payload["ret"] = "value"
            data = self._request(payload, f"read {remote}", deadline.remaining())
            if not isinstance(data, bytes):
                raise TransferFailed(f"read {remote}: the agent sent {type(data).__name__}")
            if data:
                sink(data)
            offset += len(data)
            if len(data) < CHUNK:
                return offset

    def _checked(self, size: Any, expected: int, remote: str) -> int:
        if size != expected:
            raise TransferFailed(
                f"copy of {remote} on {self.terminal.describe()} through the agent: "
                f"the file has {size} bytes, {expected} expected"
            )
        return expected

    def close(self) -> None:
        """End the agent."""
        self.runner.close()


def _result(reply: Any, command: str, duration: float) -> CommandResult:
    """The agent's reply to a ``run`` as a :class:`CommandResult` (a malformed one is ours)."""
    fields: Mapping[str, Any] = reply if isinstance(reply, Mapping) else {}
    out, err, status = fields.get("stdout"), fields.get("stderr"), fields.get("status")
    if not isinstance(out, bytes) or not isinstance(err, bytes):
        raise TerminalError(f"the agent's reply to {command!r} is malformed: {reply!r:.200}")
    if type(status) not in (int, type(None)):
        raise TerminalError(f"the agent's reply to {command!r} is malformed: {reply!r:.200}")
    pgid = fields.get("pgid")
    return CommandResult(
        status=status,
        stdout_bytes=out,
        stderr_bytes=err,
        command=command,
        timed_out=bool(fields.get("timed_out")),
        pgid=pgid if type(pgid) is int else None,
        duration=duration,
    )
