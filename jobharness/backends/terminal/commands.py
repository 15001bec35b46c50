"""Running one command in one round trip, and starting a background job.

The functions behind :meth:`Terminal.run <.client.Terminal.run>` and
:meth:`Terminal.start <.client.Terminal.start>`: build the shell line
(prologue, wrapper, prompt hops), start the local side, pass the prompts,
and read the result or hand the job over.
"""

from __future__ import annotations

import shlex
import subprocess
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from jobharness.backends.terminal.channel import Channel, LineSink
from jobharness.backends.terminal.errors import (
    AuthRefused,
    CommandTimedOut,
    SessionBroken,
    TerminalError,
)
from jobharness.backends.terminal.job import TerminalJob
from jobharness.backends.terminal.prompts import Responder
from jobharness.backends.terminal.protocol import new_nonce, shell_prologue, wrapped_command
from jobharness.backends.terminal.results import CommandResult
from jobharness.deadline import Deadline, bounded, request_deadline
from jobharness.redaction import snippet

if TYPE_CHECKING:
    from jobharness.backends.terminal.client import Terminal

KILL_WAIT = 0.3
"""Seconds a timed-out command may take to report its status after the kill."""


def quote(text: str) -> str:
    """``text`` as one shell word."""
    return shlex.quote(text)


def prologue(
    terminal: Terminal,
    command: str,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
) -> str:
    """``command`` after the route's ``init_env`` and working directory, and ``env``."""
    plan = terminal.plan
    return shell_prologue(env, cwd or plan.workdir, plan.init_env) + command


def _input(stdin: str | bytes | None) -> bytes:
    if stdin is None:
        return b""
    return stdin.encode() if isinstance(stdin, str) else bytes(stdin)


def _what(terminal: Terminal, command: str) -> str:
    return f"command {terminal.redact(snippet(command, 120))!r} on {terminal.describe()}"


def await_header(terminal: Terminal, channel: Channel, deadline: Deadline) -> int:
    """Pass the prompt hops and read the header: the command's process group.

    A connection found gone is :class:`SessionBroken`; a start that takes
    past the deadline is :class:`CommandTimedOut`; a hop that refuses is
    :class:`AuthRefused`.
    """
    try:
        return channel.await_header(deadline)
    except AuthRefused:
        raise
    except TerminalError as exc:
        master = terminal.master
        if master is not None and not master.alive:
            raise SessionBroken(
                f"{channel.what} could not start: the connection is gone "
                f"({master.log_tail() or 'no log'})"
            ) from None
        if deadline.expired:
            raise CommandTimedOut(
                f"{channel.what} did not start within {deadline.timeout:g} s; "
                f"it printed: {channel.printed()}"
            ) from None
        raise exc from None


def run(
    terminal: Terminal,
    command: str,
    timeout: float,
    *,
    stream: LineSink | None,
    env: Mapping[str, str] | None,
    cwd: str | None,
    stdin: str | bytes | None,
    raise_on_timeout: bool,
) -> CommandResult:
    """Run ``command`` through ``terminal`` within ``timeout``: one round trip."""
    started = time.monotonic()
    data = _input(stdin)
    if terminal.via_agent and stream is None:
        line = prologue(terminal, command, env, cwd)
        agent = terminal.agent_route()
        return agent.run(line, command, timeout, stdin=data, raise_on_timeout=raise_on_timeout)
    with bounded(Deadline(timeout, "command")) as limit:
        link = terminal.link(limit)
        nonce = new_nonce()
        body = wrapped_command(
            prologue(terminal, command, env, cwd), nonce, len(data), terminal.kill_grace
        )
        channel = Channel(
            link.argv(terminal.plan.through_tail(body)),
            nonce,
            responder=Responder(terminal.plan.tail, terminal.redact),
            redact=terminal.redact,
            what=_what(terminal, command),
        )
        try:
            try:
                await_header(terminal, channel, limit)
            except CommandTimedOut:
                if raise_on_timeout:
                    raise
                return _result(channel, command, started, timed_out=True)
            channel.send(data)
            if channel.collect(limit, stream):
                return _result(channel, command, started)
            if limit.expired:
                return _timed_out(channel, command, started, limit, stream, raise_on_timeout)
            return _ended_without_status(terminal, channel, command, started)
        finally:
            if channel.trailer is not None:
                terminal.adopt(channel.release())
            else:
                channel.close()


def _result(
    channel: Channel, command: str, started: float, timed_out: bool = False
) -> CommandResult:
    out, err = channel.output()
    return CommandResult(
        status=channel.trailer.status if channel.trailer else None,
        stdout_bytes=out,
        stderr_bytes=err,
        command=channel.redact(command),
        timed_out=timed_out,
        pgid=channel.pgid,
        duration=time.monotonic() - started,
    )


def _timed_out(
    channel: Channel,
    command: str,
    started: float,
    limit: Deadline,
    stream: LineSink | None,
    raise_on_timeout: bool,
) -> CommandResult:
    """Kill the command (its lifeline ends), read how it ended, raise or return."""
    channel.close_input()
    channel.collect(Deadline(KILL_WAIT, "kill"), stream)
    result = _result(channel, command, started, timed_out=True)
    if raise_on_timeout:
        how = f"status {result.status}" if result.status is not None else "no status yet"
        raise CommandTimedOut(
            f"{channel.what} did not end within {limit.timeout:g} s: its process group "
            f"{channel.pgid} was sent SIGTERM ({how}); "
            f"stdout: {snippet(result.stdout) or '(empty)'}",
            result,
        )
    return result


def _ended_without_status(
    terminal: Terminal, channel: Channel, command: str, started: float
) -> CommandResult:
    """The channel closed before the status lines: a lost connection, or a killed wrapper."""
    master = terminal.master
    if master is not None and not master.alive:
        raise SessionBroken(
            f"{channel.what}: the connection went away while it ran "
            f"({master.log_tail() or 'no log'})"
        )
    return _result(channel, command, started)


def start(
    terminal: Terminal,
    command: str,
    *,
    name: str,
    env: Mapping[str, str] | None,
    cwd: str | None,
    stdin: str | bytes | None,
    default_timeout: float,
) -> TerminalJob:
    """Start ``command`` in the background; its output goes to files of the terminal."""
    deadline = request_deadline(terminal.request_timeout)
    data = _input(stdin)
    link = terminal.link(deadline)
    nonce = new_nonce()
    body = wrapped_command(
        prologue(terminal, command, env, cwd), nonce, len(data), terminal.kill_grace
    )
    directory = terminal.scratch_dir()
    out_path, err_path = directory / f"{nonce}.out", directory / f"{nonce}.err"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        process = subprocess.Popen(
            link.argv(terminal.plan.through_tail(body)),
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
    job = TerminalJob(
        terminal,
        command,
        process,
        nonce,
        (out_path, err_path),
        name=name,
        default_timeout=default_timeout,
    )
    try:
        job.await_start(Responder(terminal.plan.tail, terminal.redact), data, deadline)
    except BaseException:
        job.abandon()
        raise
    return job
