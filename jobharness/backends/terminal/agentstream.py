"""Byte streams the agent runs on, and the starters that open them.

An :class:`AgentStream` is a pair of file descriptors whose far end runs
the agent's bootstrap (:data:`~jobharness.backends.terminal.agent.BOOTSTRAP`),
plus standard error to drain and a way to end it. An :class:`AgentStarter`
opens one. The starters:

* :class:`LocalPython`: ``python3 -u -c BOOTSTRAP`` as a local process;
* :class:`LinkPython`: the same command line run through a *link* of the
  terminal core, anything with ``argv(line) -> list[str]`` (``LocalLink``
  gives ``/bin/sh -c LINE``; ``SshMaster`` gives ``ssh -S control ... LINE``,
  an exec channel without a pty through the route's ControlMaster);
* :class:`RoutePython`: the same command as a bare channel of the terminal
  core (``Terminal.open_channel``): through the route's ControlMaster, its
  prompt hops passed (``sudo -S`` answered), no pty;
* :class:`PtyPython`: a shell in a local pseudo-terminal into which the
  line is typed, the path a route with an interactive hop takes: the
  bootstrap puts the terminal in raw mode and says when it is ready.

Local processes start in a session of their own. Their standard input is the
agent's lifeline: closing it ends the agent and its process group, also when
the controller is killed (the kernel closes the pipe). That is why these are
plain child processes and not launcher-managed servers.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import shlex
import signal
import subprocess
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from jobharness.backends.terminal.agent import BOOTSTRAP
from jobharness.backends.terminal.runner_errors import SessionInitializationFailed
from jobharness.deadline import Deadline

PIPE_SIZE = 1 << 20
"""Bytes a local pipe to the agent holds (Linux may grant less; then the default stays)."""
END_WAIT = 0.5
"""Seconds a closed agent gets to end by itself before its process group is killed."""


@runtime_checkable
class AgentStream(Protocol):
    """A byte stream to the agent: frames are read from ``read_fd`` and written to ``write_fd``."""

    read_fd: int
    write_fd: int
    stderr_fd: int | None
    pty: bool
    """True when the stream is a terminal: the start waits for the ready marker."""

    def describe(self) -> str:
        """How messages name the stream (``local python3 pid 4242``)."""
        ...

    def exit_status(self) -> int | None:
        """The local process's exit status once it ended, else ``None``."""
        ...

    def take_output(self) -> bytes:
        """What was read from the agent's output before the link took over (once)."""
        ...

    def close(self) -> None:
        """End the agent: close its input, then kill what is left."""
        ...


@runtime_checkable
class AgentStarter(Protocol):
    """Opens an :class:`AgentStream` whose far end runs the bootstrap."""

    def start(self, deadline: Deadline) -> AgentStream:
        """Start the bootstrap; return the stream (the handshake is the link's job)."""
        ...

    def describe(self) -> str:
        """How messages name the target (``local python3``, ``ssh u@h:22``)."""
        ...


class CommandLink(Protocol):
    """What :class:`LinkPython` needs of the terminal core's links."""

    def argv(self, line: str, *, tty: bool = False) -> list[str]:
        """The local program and arguments that run the shell line ``line`` at the far end."""
        ...

    def describe(self) -> str:
        """How messages name the link."""
        ...


def bootstrap_line(python: str = "python3", prologue: str = "") -> str:
    """The shell line that starts the agent: ``exec python3 -u -c '<bootstrap>'``.

    ``prologue`` (shell lines: ``cd``, ``init_env``) runs first. The line
    holds no source of the agent and nothing secret.
    """
    return f"{prologue}exec {shlex.quote(python)} -u -c {shlex.quote(BOOTSTRAP)}"


class ProcessStream:
    """A local process whose standard input and output are the agent's stream."""

    pty = False

    def __init__(self, argv: Sequence[str], what: str, env: dict[str, str] | None = None) -> None:
        self.what = what
        try:
            self.process = subprocess.Popen(
                list(argv),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
                env=env,
            )
        except OSError as exc:
            raise SessionInitializationFailed(f"cannot start {what}: {exc}") from None
        assert self.process.stdin and self.process.stdout and self.process.stderr
        self.write_fd = self.process.stdin.fileno()
        self.read_fd = self.process.stdout.fileno()
        self.stderr_fd: int | None = self.process.stderr.fileno()
        os.set_blocking(self.write_fd, False)
        for fd in (self.write_fd, self.read_fd):  # fewer, larger reads and writes for bulk data
            with contextlib.suppress(OSError):
                fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_SIZE)

    def describe(self) -> str:
        """``local python3 pid 4242``."""
        return f"{self.what} pid {self.process.pid}"

    def exit_status(self) -> int | None:
        """The process's status once it ended."""
        return self.process.poll()

    def take_output(self) -> bytes:
        """Nothing is read before the link."""
        return b""

    def close(self) -> None:
        """Close the input (the agent's lifeline), wait a moment, then kill the group."""
        proc = self.process
        with contextlib.suppress(OSError):
            assert proc.stdin is not None
            proc.stdin.close()
        _end_group(proc)
        for stream in (proc.stdout, proc.stderr):
            with contextlib.suppress(OSError):
                if stream is not None:
                    stream.close()


def _end_group(process: subprocess.Popen[bytes]) -> None:
    """Give the process ``END_WAIT`` s to end, then kill its whole group (stragglers too)."""
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(END_WAIT)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(END_WAIT)


class LocalPython:
    """Start the agent as a local ``python -u -c BOOTSTRAP`` (default: ``python3`` on PATH)."""

    def __init__(self, python: str = "python3", env: dict[str, str] | None = None) -> None:
        self.python = python
        self.env = env

    def start(self, deadline: Deadline) -> ProcessStream:
        """Start the interpreter."""
        return ProcessStream([self.python, "-u", "-c", BOOTSTRAP], self.describe(), self.env)

    def describe(self) -> str:
        """``local python3``."""
        return f"local {self.python}"


class LinkPython:
    """Start the agent with :func:`bootstrap_line` through a link of the terminal core."""

    def __init__(self, link: CommandLink, python: str = "python3", prologue: str = "") -> None:
        self.link = link
        self.python = python
        self.prologue = prologue

    def start(self, deadline: Deadline) -> ProcessStream:
        """Run the line through the link (no pty)."""
        argv = self.link.argv(bootstrap_line(self.python, self.prologue))
        return ProcessStream(argv, self.describe())

    def describe(self) -> str:
        """``python3 on <link>``."""
        return f"{self.python} on {self.link.describe()}"


class PtyStream:
    """A local shell in a pseudo-terminal; the bootstrap line is typed into it."""

    pty = True
    stderr_fd: int | None = None

    def __init__(self, shell: Sequence[str], line: str, what: str) -> None:
        self.what = what
        master, slave = pty.openpty()
        try:
            self.process = subprocess.Popen(
                list(shell),
                stdin=slave,
                stdout=slave,
                stderr=slave,
                start_new_session=True,
            )
        except OSError as exc:
            os.close(master)
            raise SessionInitializationFailed(f"cannot start {what}: {exc}") from None
        finally:
            os.close(slave)
        self.read_fd = self.write_fd = master
        os.write(master, line.encode() + b"\n")
        os.set_blocking(master, False)

    def describe(self) -> str:
        """``terminal python3 pid 4242``."""
        return f"{self.what} pid {self.process.pid}"

    def exit_status(self) -> int | None:
        """The shell's status once it ended."""
        return self.process.poll()

    def take_output(self) -> bytes:
        """Nothing is read before the link."""
        return b""

    def close(self) -> None:
        """Hang up the terminal and kill the session's group."""
        with contextlib.suppress(OSError):
            os.close(self.read_fd)
        _end_group(self.process)


class PtyPython:
    """Start the agent by typing its line into a local shell's terminal (the pty path)."""

    def __init__(self, python: str = "python3", shell: Sequence[str] = ("/bin/sh", "-i")) -> None:
        self.python = python
        self.shell = tuple(shell)

    def start(self, deadline: Deadline) -> PtyStream:
        """Open the terminal and type the line."""
        return PtyStream(self.shell, bootstrap_line(self.python), self.describe())

    def describe(self) -> str:
        """``terminal python3``."""
        return f"terminal {self.python}"


class ChannelStream:
    """A bare channel of the terminal core (``Terminal.open_channel``) as the agent's stream."""

    pty = False

    def __init__(self, channel: Any, what: str) -> None:
        self.channel = channel
        process = channel.process
        self.read_fd: int = process.stdout.fileno()
        self.write_fd: int = process.stdin.fileno()
        self.stderr_fd: int | None = process.stderr.fileno()
        self.what = what
        self.redact = channel.redact  # the route's secrets, masked in messages
        self._early: bytes = channel.take_output()

    def describe(self) -> str:
        """``python3 on ssh u@h:22 (group 4242)``."""
        return f"{self.what} (group {self.channel.pgid})"

    def exit_status(self) -> int | None:
        """The local ssh (or sh) process's status once it ended."""
        status: int | None = self.channel.process.poll()
        return status

    def take_output(self) -> bytes:
        """What the channel read past the header before the link took over."""
        data, self._early = self._early, b""
        return data

    def close(self) -> None:
        """Close the channel (its input first: the agent's lifeline)."""
        self.channel.close()


class RoutePython:
    """Start the agent on a route of the terminal core, as one of its bare channels.

    ``terminal`` is a ``Terminal`` (anything with ``open_channel(command,
    deadline=)`` and ``describe()``); when this starter made it from a route
    it closes it in :meth:`close`.
    """

    def __init__(self, terminal: Any, python: str = "python3", *, owned: bool = False) -> None:
        self.terminal = terminal
        self.python = python
        self.owned = owned

    def start(self, deadline: Deadline) -> ChannelStream:
        """Open the channel (logging in again when the connection went)."""
        command = f"exec {shlex.quote(self.python)} -u -c {shlex.quote(BOOTSTRAP)}"
        return ChannelStream(
            self.terminal.open_channel(command, deadline=deadline), self.describe()
        )

    def describe(self) -> str:
        """``python3 on <route>``."""
        return f"{self.python} on {self.terminal.describe()}"

    def close(self) -> None:
        """Close the terminal if this starter made it."""
        if self.owned:
            self.terminal.close()


def starter_for(shells: object, python: str = "python3") -> AgentStarter:
    """The starter for what ``initialize_with_shells`` was given.

    An :class:`AgentStarter` is used as it is. A route (hop specs, crl-style
    shell dicts): a local one starts ``python3`` through ``/bin/sh`` (its
    ``workdir`` and ``init_env`` honoured); any other becomes a
    :class:`RoutePython` on a ``Terminal`` of the terminal core.
    """
    if isinstance(shells, AgentStarter):
        return shells
    from jobharness.backends.terminal.connection import LocalLink
    from jobharness.backends.terminal.plan import plan_route
    from jobharness.backends.terminal.protocol import shell_prologue
    from jobharness.backends.terminal.spec import route

    steps = plan_route(route(shells))
    if steps.local and not steps.tail:
        prologue = shell_prologue(cwd=steps.workdir, init_env=steps.init_env)
        return LinkPython(LocalLink(), python, prologue)
    from jobharness.backends.terminal.client import Terminal

    return RoutePython(Terminal(steps.route), python, owned=True)
