"""The terminal client: commands, background jobs and file copies on one route.

>>> with Terminal(SshHop("10.0.0.5", user="tester", key_file="id", known_hosts="kh")) as t:
...     status, out, err = t.run("uname -r")                           # doctest: +SKIP
...     job = t.start("sleep 30", name="sleeper")                      # doctest: +SKIP
...     job.cancel()                                                   # doctest: +SKIP

A :class:`Terminal` logs in once (one OpenSSH ControlMaster per route; a
local route needs none) and runs every command, job and copy through that
connection. Commands run in the wrapper of
:mod:`~jobharness.backends.terminal.protocol`: one exec round trip gives the
status, standard output and standard error apart; a timeout kills the
command's process group. Prompt hops are passed without a terminal
(``sudo -S``, ``su``: answers on standard input); a hop that needs a
terminal is for interactive sessions, which build on :meth:`Terminal.pty_argv`.

When the connection is found gone before anything is sent, the next call
logs in again (``reconnect``); a call that was under way when it went fails
with :class:`~jobharness.backends.terminal.errors.SessionBroken` and is not
repeated.

Building on it: an interactive session spawns :meth:`Terminal.pty_argv`
with pexpect (a pseudo-terminal channel of the same connection, no new
login) and types :attr:`Terminal.prompt_hops` into it; a remote agent runs
in :meth:`Terminal.open_channel` (a bare byte stream through every hop);
recovery watches :attr:`Terminal.connected` and :class:`SessionBroken`,
and :meth:`Terminal.link` logs in again from the specs. A terminal is not
thread-safe: one caller at a time.
"""

from __future__ import annotations

import contextlib
import shutil
import signal as signals
import subprocess
import tempfile
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jobharness.backends.terminal import commands
from jobharness.backends.terminal.agentroute import AgentRoute
from jobharness.backends.terminal.channel import Channel, Leftovers, LineSink
from jobharness.backends.terminal.connection import Link, LocalLink, SshMaster
from jobharness.backends.terminal.errors import SessionBroken, TerminalError, signal_number
from jobharness.backends.terminal.files import LocalPath, Transfers, file_mode, transfer_errors
from jobharness.backends.terminal.job import TerminalJob
from jobharness.backends.terminal.plan import Plan, plan_route
from jobharness.backends.terminal.prompts import Responder
from jobharness.backends.terminal.protocol import (
    DEFAULT_KILL_GRACE,
    REMOTE_SHELL,
    bare_command,
    new_nonce,
)
from jobharness.backends.terminal.results import CommandResult
from jobharness.backends.terminal.spec import PromptHop, Route, route
from jobharness.deadline import Deadline, parse_timeout, request_deadline
from jobharness.jobs import DEFAULT_TIMEOUT
from jobharness.redaction import Redactor
from jobharness.resources import Closing

DEFAULT_REQUEST_TIMEOUT = 30.0
"""Seconds one request may take: a login, starting a command, one copy step."""


class Terminal(Closing):
    """A route to a target, with one authenticated connection for all its commands.

    ``target`` is a :class:`~jobharness.backends.terminal.spec.Route`, a hop,
    or a list of hops or dicts. ``request_timeout`` bounds one request (the
    login, the start of a command, a kill); ``default_timeout`` is how long
    a command or a job's wait may take when no ``timeout`` is given;
    ``kill_grace`` is the time between SIGTERM and SIGKILL when a command is
    killed. The connection opens on first use (or :meth:`open`); ``with``
    closes it, cancelling the jobs still running. With ``via_agent``,
    commands and single-file copies go through a remote Python agent, one
    round trip each (:mod:`~jobharness.backends.terminal.agentroute`).
    """

    def __init__(
        self,
        target: Any,
        *,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
        default_timeout: float = DEFAULT_TIMEOUT,
        kill_grace: float = DEFAULT_KILL_GRACE,
        reconnect: bool = True,
        name: str = "",
        via_agent: bool = False,
    ) -> None:
        self.route: Route = route(target)
        self.plan: Plan = plan_route(self.route)
        self.request_timeout = parse_timeout(request_timeout, "request_timeout")
        self.default_timeout = parse_timeout(default_timeout, "default_timeout")
        self.kill_grace = parse_timeout(kill_grace, "kill_grace")
        self.reconnect = reconnect
        self.name = name
        self.redact = Redactor(self.route.secrets)
        self.transfers = Transfers(self)
        self._link: Link | None = None
        self._logins = 0
        self._jobs: weakref.WeakSet[TerminalJob] = weakref.WeakSet()
        self._scratch: Path | None = None
        self._leftovers = Leftovers()
        self.via_agent = via_agent
        self._agent: AgentRoute | None = None

    # -- the connection -----------------------------------------------------------------

    def describe(self) -> str:
        """The route, or the name given, for messages (no secrets)."""
        return self.name or self.route.describe()

    @property
    def logins(self) -> int:
        """How many times this terminal logged in (1 while one connection serves everything)."""
        return self._logins

    @property
    def connected(self) -> bool:
        """True while the connection is up (always for a local route)."""
        return self._link is not None and self._link.alive

    def open(self, timeout: float | None = None) -> Terminal:
        """Log in now (within ``timeout``, default ``request_timeout``); a no-op when connected."""
        self.link(request_deadline(self.request_timeout if timeout is None else timeout))
        return self

    def link(self, deadline: Deadline) -> Link:
        """The connection, logged in (again, with ``reconnect``) within ``deadline`` if needed."""
        if self._link is not None and self._link.alive:
            return self._link
        if self._link is not None and not self.reconnect:
            raise SessionBroken(
                f"the connection {self.describe()} is gone: {self._link.log_tail() or 'no log'}"
            )
        self.transfers.close()
        if self._link is not None:
            self._link.close()
            self._link = None
        if self.plan.local:
            self._link = LocalLink()
        else:
            master = SshMaster(self.plan.ssh, self.redact)
            master.open(max(deadline.remaining(), 0.001))
            self._link = master
            self._logins += 1
        return self._link

    @property
    def master(self) -> SshMaster | None:
        """The ControlMaster of the route (None for a local route or before the login)."""
        return self._link if isinstance(self._link, SshMaster) else None

    def master_for(self, deadline: Deadline) -> SshMaster:
        """The ControlMaster, logged in within ``deadline`` (a TerminalError for a local route)."""
        link = self.link(deadline)
        if not isinstance(link, SshMaster):
            raise TerminalError(f"{self.describe()} is a local route: it has no ssh connection")
        return link

    def link_argv(self, line: str, *, tty: bool = False) -> list[str]:
        """Local program arguments running the shell ``line`` after the ssh part of the route.

        The prompt hops of the route are *not* passed: that is for the
        caller (see :attr:`prompt_hops`). Logs in if needed.
        """
        return self.link(request_deadline(self.request_timeout)).argv(line, tty=tty)

    def pty_argv(self, command: str = "") -> list[str]:
        """Arguments for ``pexpect.spawn``: a shell on a pseudo-terminal, through the master.

        ``command`` is what runs on the pseudo-terminal (``bash --norc -i``,
        say); by default the login shell (``/bin/sh -i`` for a local route).
        No new login: it is one more channel of the connection. An
        interactive session then types the :attr:`prompt_hops` (``command``
        and ``answers``) into it.
        """
        link = self.link(request_deadline(self.request_timeout))
        if isinstance(link, SshMaster):
            return link.argv(command, tty=True)
        return [REMOTE_SHELL, "-c", command] if command else [REMOTE_SHELL, "-i"]

    @property
    def prompt_hops(self) -> tuple[PromptHop, ...]:
        """The hops after the ssh part, in order (an interactive session types them)."""
        return self.plan.tail

    def open_channel(self, command: str, *, deadline: Deadline | None = None) -> Channel:
        """A bare channel running ``command`` at the target, prompt hops passed, header read.

        The channel's standard input and output are the command's own (no
        wrapper around it, no status lines, no lifeline): for file streams
        and for an agent speaking frames (``exec python3 -u -c ...``).
        ``channel.pgid`` is the command's process group; what it printed
        with the header is in :meth:`Channel.take_output`, the rest comes on
        ``channel.process.stdout`` (its pipes are non-blocking). The exit
        status is the channel's (:meth:`Channel.wait_exit`). Close it when done.
        """
        deadline = deadline or request_deadline(self.request_timeout)
        link = self.link(deadline)
        nonce = new_nonce()
        line = self.plan.through_tail(bare_command(commands.prologue(self, command), nonce))
        channel = Channel(
            link.argv(line),
            nonce,
            responder=Responder(self.plan.tail, self.redact),
            redact=self.redact,
            what=f"channel {command.split()[0] if command.split() else ''!r} on {self.describe()}",
        )
        try:
            commands.await_header(self, channel, deadline)
        except BaseException:
            channel.close()
            raise
        return channel

    def agent_route(self) -> AgentRoute:
        """The agent that runs commands and copies when ``via_agent`` is set (made on first use)."""
        if self._agent is None:
            self._agent = AgentRoute(self)
        return self._agent

    # -- commands -----------------------------------------------------------------------

    def run(
        self,
        command: str,
        timeout: float | None = None,
        *,
        stream: LineSink | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        stdin: str | bytes | None = None,
        raise_on_timeout: bool = True,
    ) -> CommandResult:
        """Run the shell ``command`` on the target; its status, stdout and stderr apart.

        ``timeout`` (default ``default_timeout``) bounds the whole call; at
        the deadline the command's process group gets SIGTERM (SIGKILL after
        ``kill_grace``) and :class:`~.errors.CommandTimedOut` is raised with
        the result (status ``-15`` usually), or the result is returned with
        ``timed_out`` when ``raise_on_timeout`` is false. ``stream`` receives
        each stdout line as it comes. ``stdin`` is given to the command.
        """
        return commands.run(
            self,
            command,
            self.default_timeout if timeout is None else timeout,
            stream=stream,
            env=env,
            cwd=cwd,
            stdin=stdin,
            raise_on_timeout=raise_on_timeout,
        )

    def start(
        self,
        command: str,
        *,
        name: str = "",
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        stdin: str | bytes | None = None,
        default_timeout: float | None = None,
    ) -> TerminalJob:
        """Start ``command`` in the background; a :class:`TerminalJob` of the shared job model.

        ``default_timeout`` is how long the job's ``wait()`` waits by default.
        """
        job = commands.start(
            self,
            command,
            name=name,
            env=env,
            cwd=cwd,
            stdin=stdin,
            default_timeout=self.default_timeout if default_timeout is None else default_timeout,
        )
        self._jobs.add(job)
        return job

    def signal(self, pgid: int, signal: str | int = "TERM", timeout: float | None = None) -> bool:
        """Send ``signal`` to the process group ``pgid`` on the target; False if it is gone."""
        name = signals.Signals(signal_number(signal)).name.removeprefix("SIG")
        result = self.run(
            f"kill -s {name} -- -{int(pgid)}",
            self.request_timeout if timeout is None else timeout,
        )
        return result.status == 0

    def mkdir(self, path: str, mode: int | str | None = None, *, parents: bool = True) -> None:
        """Make the directory ``path`` on the target (with its parents unless told not to)."""
        options = "-p " if parents else ""
        bits = file_mode(mode)
        if bits is not None:
            options += f"-m {bits:o} "
        quoted = commands.quote(path)
        self.run(f"mkdir {options}-- {quoted}", self.request_timeout).check()

    def adopt(self, process: subprocess.Popen[bytes] | None) -> None:
        """Reap ``process`` (a finished command's local side) later; reap the ended ones now."""
        self._leftovers.adopt(process)

    def scratch_dir(self) -> Path:
        """A private local directory of this terminal (job output), removed at close."""
        if self._scratch is None:
            self._scratch = Path(tempfile.mkdtemp(prefix="jh-term-"))
            weakref.finalize(self, shutil.rmtree, self._scratch, ignore_errors=True)
        return self._scratch

    # -- copies -------------------------------------------------------------------------

    def copy_to(
        self,
        local: LocalPath,
        remote: str,
        mode: int | str | None = None,
        timeout: float | None = None,
    ) -> int:
        """Copy the local file ``local`` to ``remote`` on the target; return its size."""
        with transfer_errors(f"copy {local} to {remote} on {self.describe()}"):
            return self.transfers.put(local, remote, mode, self._copy_timeout(timeout))

    def copy_from(self, remote: str, local: LocalPath, timeout: float | None = None) -> int:
        """Copy ``remote`` on the target to the local file ``local``; return its size."""
        with transfer_errors(f"copy {remote} on {self.describe()} to {local}"):
            return self.transfers.get(remote, local, self._copy_timeout(timeout))

    def copy_dir_to(
        self, local_dir: LocalPath, remote_dir: str, timeout: float | None = None
    ) -> None:
        """Copy the local directory tree ``local_dir`` into ``remote_dir`` (made if missing)."""
        with transfer_errors(f"copy {local_dir} to {remote_dir} on {self.describe()}"):
            self.transfers.put_dir(local_dir, remote_dir, self._copy_timeout(timeout))

    def copy_dir_from(
        self, remote_dir: str, local_dir: LocalPath, timeout: float | None = None
    ) -> None:
        """Copy the directory tree ``remote_dir`` into the local ``local_dir`` (made if missing)."""
        with transfer_errors(f"copy {remote_dir} on {self.describe()} to {local_dir}"):
            self.transfers.get_dir(remote_dir, local_dir, self._copy_timeout(timeout))

    def copy_between(
        self, other: Terminal, source: str, target: str, timeout: float | None = None
    ) -> int:
        """Copy ``source`` on this target to ``target`` on ``other``; return its size."""
        with transfer_errors(f"copy {source} on {self.describe()} to {other.describe()}"):
            return self.transfers.between(other, source, target, self._copy_timeout(timeout))

    def copy_dir_between(
        self, other: Terminal, source_dir: str, target_dir: str, timeout: float | None = None
    ) -> None:
        """Copy the directory tree ``source_dir`` here into ``target_dir`` on ``other``."""
        with transfer_errors(f"copy {source_dir} on {self.describe()} to {other.describe()}"):
            self.transfers.between_dirs(other, source_dir, target_dir, self._copy_timeout(timeout))

    def read_bytes(self, remote: str, timeout: float | None = None) -> bytes:
        """The content of the file ``remote`` on the target."""
        with transfer_errors(f"read {remote} on {self.describe()}"):
            return self.transfers.read_bytes(remote, self._copy_timeout(timeout))

    def write_bytes(
        self, remote: str, data: bytes, mode: int | str | None = None, timeout: float | None = None
    ) -> None:
        """Make the file ``remote`` on the target hold ``data``."""
        with transfer_errors(f"write {remote} on {self.describe()}"):
            self.transfers.write_bytes(remote, data, mode, self._copy_timeout(timeout))

    def _copy_timeout(self, timeout: float | None) -> float:
        return self.default_timeout if timeout is None else parse_timeout(timeout)

    # -- closing ------------------------------------------------------------------------

    @property
    def cleanup_action(self) -> str:
        """Terminals are closed by a cleanup."""
        return "close"

    def cleanup_summary(self) -> str:
        """One line for cleanup reports."""
        return f"terminal {self.describe()}"

    def clean_up(self) -> bool:
        """Close the terminal if it is connected; return whether it was."""
        was = self._link is not None
        self.close()
        return was

    def close(self) -> None:
        """Cancel the jobs still running, end the copies' session, log out, remove scratch files."""
        running = [job for job in list(self._jobs) if not job.done]
        for job in running:
            job.end_lifeline()
        for job in running:
            with contextlib.suppress(TerminalError):
                job.cancel()
        self.transfers.close()
        agent, self._agent = self._agent, None
        if agent is not None:
            agent.close()
        self._leftovers.reap_all()
        link, self._link = self._link, None
        try:
            if link is not None:
                link.close()
        finally:
            if self._scratch is not None:
                shutil.rmtree(self._scratch, ignore_errors=True)
                self._scratch = None

    def __repr__(self) -> str:
        state = "connected" if self.connected else "not connected"
        return f"<Terminal {self.describe()} {state}>"
