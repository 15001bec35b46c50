"""Starting the agent on a stream: its source over standard input, the ready marker, the hello.

On a pipe the source goes at once, with the start of the process; the
bootstrap then prints :data:`~jobharness.backends.terminal.agent.READY`
before anything else, and anything else first is an error that quotes it
(``python3: not found``, a shell's banner). On a terminal the line was typed
into a shell: its echo and prompts come first, so the marker is searched
for (a NUL in it cannot come from an echo), and the source is sent only
after it, once the terminal is in raw mode. Then the first frame must be
the agent's hello, in the protocol this side speaks.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jobharness.backends.terminal import agent, wire
from jobharness.backends.terminal.runner_errors import RunnerTerminalSessionBroken
from jobharness.deadline import Deadline
from jobharness.errors import ProtocolError
from jobharness.redaction import snippet

if TYPE_CHECKING:
    from jobharness.backends.terminal.agentlink import AgentLink

NOISE_KEEP = 1 << 20
"""Bytes of a terminal's echo and banners kept while the marker is looked for."""
_SOURCE: list[bytes] = []


def agent_source() -> bytes:
    """The agent module's source, as sent to every target."""
    if not _SOURCE:
        _SOURCE.append(Path(agent.__file__).read_bytes())
    return _SOURCE[0]


def handshake(link: AgentLink, deadline: Deadline) -> dict[str, Any]:
    """Send the source, read the hello, send the heartbeat settings; the hello."""
    source = agent_source()
    bootstrap = b"%d\n" % len(source) + source
    pty = link.stream.pty
    if not pty:
        with contextlib.suppress(RunnerTerminalSessionBroken):  # what it printed says why
            link.write(bootstrap, deadline)
    leftover = _await_ready(link, deadline)
    if pty:
        link.write(bootstrap, deadline)
    hello = wire.unpack(_await_hello(link, leftover, deadline).payload, lambda d: None)
    if not isinstance(hello, dict) or hello.get("protocol") != wire.PROTOCOL:
        raise ProtocolError(f"the agent speaks protocol {hello!r}, not {wire.PROTOCOL}")
    settings = link.settings
    config = {"interval": settings.heartbeat_interval, "idle_exit": settings.idle_exit}
    link.write(wire.frame(agent.CONFIG, 0, [wire.pack_json(config)]), deadline)
    return hello


def _await_ready(link: AgentLink, deadline: Deadline) -> bytes:
    """Read up to the ready marker; what follows it."""
    pty = link.stream.pty
    seen = bytearray(link.stream.take_output())
    while True:
        found = seen.find(agent.READY)
        if found >= 0:
            if found and not pty:
                raise ProtocolError(f"it printed {snippet(bytes(seen[:found]), 120)!r} first")
            return bytes(seen[found + len(agent.READY) :])
        if not pty and len(seen) >= len(agent.READY):
            raise ProtocolError(f"it printed {snippet(bytes(seen), 120)!r}")
        seen += link.read_some(deadline, "the ready marker")
        del seen[: max(0, len(seen) - NOISE_KEEP)]


def _await_hello(link: AgentLink, leftover: bytes, deadline: Deadline) -> wire.Frame:
    """The first frame, which must be a hello."""
    data = leftover
    while True:
        for found in link.frames.feed(data):
            if found.kind != agent.HELLO:
                raise ProtocolError(f"the first frame is a {wire.KIND_NAMES[found.kind]}")
            return found
        data = link.read_some(deadline, "the agent's hello")
