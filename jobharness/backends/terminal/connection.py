"""Links: where a route's commands start, locally or through one OpenSSH ControlMaster.

A link turns a shell command line into the local program arguments that run
it at the far end of the route's ssh part: ``/bin/sh -c LINE`` for a local
route, ``ssh -S CONTROL ... LINE`` through the master for an ssh route.

:class:`SshMaster` is one authenticated connection per route, shared by
every command (multiplexing): an ``ssh -M -N`` run by the launcher
(:class:`~jobharness.servers.launcher.ManagedProcess`, so it dies with the
run) in a private 0700 directory holding its ssh_config, control socket,
log and, for password logins, the askpass helper and its 0600 password
file. Jumps use ``ProxyJump`` between the config's ``Host`` blocks. Each
:meth:`SshMaster.open` builds everything afresh from the specs.
"""

from __future__ import annotations

import re
import shutil
import socket
import tempfile
import weakref
from pathlib import Path
from typing import Any, Protocol

from jobharness.backends.terminal import askpass
from jobharness.backends.terminal.errors import (
    AuthRefused,
    HostKeyChanged,
    HostKeyUnknown,
    TerminalError,
    TerminalUnreachable,
)
from jobharness.backends.terminal.protocol import REMOTE_SHELL, host_alias, ssh_config
from jobharness.backends.terminal.spec import SshHop
from jobharness.errors import ConfigurationError, EmbeddedServerError
from jobharness.redaction import Redactor
from jobharness.resources import Closing
from jobharness.servers.launcher import ManagedProcess, ReadinessCheck

CONTROL_NAME = "ctl"
MASTER_STOP_GRACE = 2.0
SHORT_TMP = "/tmp"  # control socket paths must stay under ~100 bytes


class Link(Protocol):
    """Where a route's commands start: turns a shell line into local program arguments."""

    def argv(self, line: str, *, tty: bool = False) -> list[str]:
        """The local program and arguments that run the shell command ``line`` at the far end."""
        ...

    @property
    def alive(self) -> bool:
        """False once the link can no longer run commands."""
        ...

    def describe(self) -> str:
        """How messages name the link."""
        ...

    def log_tail(self) -> str:
        """What the link logged last (ssh's errors), for messages."""
        ...

    def close(self) -> None:
        """Release what the link holds."""
        ...


class LocalLink:
    """Commands run on this machine, each as ``/bin/sh -c LINE``."""

    alive = True

    def argv(self, line: str, *, tty: bool = False) -> list[str]:
        """``/bin/sh -c line``."""
        return [REMOTE_SHELL, "-c", line]

    def describe(self) -> str:
        """``local``."""
        return "local"

    def log_tail(self) -> str:
        """Nothing is logged locally."""
        return ""

    def close(self) -> None:
        """Nothing to release."""


class ControlSocketReady(ReadinessCheck):
    """Ready when the master's control socket accepts a connection (it exists after login)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def begin(self, workdir: Path, log_file: Path) -> None:
        """Remove a stale socket."""
        self.path.unlink(missing_ok=True)

    def poll(self) -> dict[str, Any] | None:
        """``{"control_path": ...}`` once a connection to the socket succeeds."""
        if not self.path.exists():
            return None
        with socket.socket(socket.AF_UNIX) as probe:
            try:
                probe.connect(str(self.path))
            except OSError:
                return None
        return {"control_path": str(self.path)}

    def describe(self) -> str:
        """What the check waits for."""
        return f"the ssh control socket {self.path}"


def ssh_program() -> str:
    """The OpenSSH client, or a ConfigurationError saying how to get it."""
    found = shutil.which("ssh")
    if found is None:
        raise ConfigurationError("the OpenSSH client (ssh) is not installed")
    return found


_FAILURES: tuple[tuple[str, type[TerminalError]], ...] = (
    (r"REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for \S+ has changed", HostKeyChanged),
    (r"No \S+ host key is known for|Host key verification failed", HostKeyUnknown),
    (r"Permission denied|Too many authentication failures", AuthRefused),
)


def classify(log: str, what: str) -> TerminalError:
    """The error for ssh's log ``log`` (already redacted) after ``what`` failed."""
    lines = [line for line in log.splitlines() if line.strip() and not line.startswith("@")]
    said = "; ".join(lines[-4:]) or "(nothing)"
    for pattern, cls in _FAILURES:
        if re.search(pattern, log):
            return cls(f"{what}: {said}")
    return TerminalUnreachable(f"{what}: {said}")


def _private_directory() -> Path:
    base = tempfile.gettempdir()
    if len(base) > 60:
        base = SHORT_TMP
    return Path(tempfile.mkdtemp(prefix="jh-ssh-", dir=base))


class SshMaster(Closing):
    """One ControlMaster for a chain of ssh hops (the last is the target, the others jumps)."""

    def __init__(self, hops: tuple[SshHop, ...], redactor: Redactor | None = None) -> None:
        if not hops:
            raise ConfigurationError("an ssh master needs at least one ssh hop")
        self.hops = hops
        self.redact = redactor or Redactor(hop.password for hop in hops)
        self.directory: Path | None = None
        self.process: ManagedProcess | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None

    @property
    def alias(self) -> str:
        """The target's name in the private ssh_config."""
        return host_alias(len(self.hops) - 1)

    @property
    def control_path(self) -> Path:
        """The control socket of the master."""
        if self.directory is None:
            raise TerminalError(f"the connection {self.describe()} is not open")
        return self.directory / CONTROL_NAME

    @property
    def config_file(self) -> Path:
        """The private ssh_config naming every hop of the chain."""
        return self.control_path.with_name("ssh_config")

    @property
    def alive(self) -> bool:
        """True while the master process runs."""
        return self.process is not None and self.process.running

    def describe(self) -> str:
        """``ssh u@gw:22 -> ssh u@vm:22``."""
        return " -> ".join(hop.describe() for hop in self.hops)

    def open(self, timeout: float) -> SshMaster:
        """Log in (within ``timeout`` seconds) and keep the connection; a no-op while alive."""
        if self.alive:
            return self
        self.close()
        directory = self.directory = _private_directory()
        self._finalizer = weakref.finalize(self, shutil.rmtree, directory, ignore_errors=True)
        passwords = askpass.password_lines(self.hops)
        env = askpass.install(directory, passwords)
        self.config_file.write_text(ssh_config(self.hops), encoding="utf-8")
        command = [
            *(ssh_program(), "-F", str(self.config_file), "-M", "-N"),
            *("-o", f"ControlPath={self.control_path}", "-o", "ControlPersist=no"),
            self.alias,
        ]
        self.process = ManagedProcess(
            "ssh-master",
            command,
            ready=ControlSocketReady(self.control_path),
            workdir=directory,
            env=env,
            startup_timeout=timeout,
            stop_grace=MASTER_STOP_GRACE,
        )
        try:
            self.process.start()
        except EmbeddedServerError as exc:
            log = self.log_tail()
            self.close()
            if "was not ready within" in str(exc) and not log.strip():
                raise TerminalUnreachable(
                    f"cannot connect {self.describe()}: no login within {timeout:g} s"
                ) from None
            raise classify(log, f"cannot connect {self.describe()}") from None
        return self

    def argv(self, line: str, *, tty: bool = False, subsystem: bool = False) -> list[str]:
        """``ssh`` through the master running ``line``; never a login of its own.

        ``tty`` asks for a pseudo-terminal (``-tt``) for an interactive
        session; ``line`` may then be empty for the login shell.
        ``subsystem`` makes ``line`` a subsystem name (``sftp``).
        """
        args = [
            *(ssh_program(), "-F", "none", "-S", str(self.control_path)),
            *("-o", "ControlMaster=no", "-o", "ProxyCommand=false", "-o", "BatchMode=yes"),
            *("-o", "LogLevel=ERROR", "-tt" if tty else "-T"),
            *(["-s"] if subsystem else []),
            self.alias,
        ]
        return [*args, line] if line else args

    def log_tail(self) -> str:
        """The end of the master's log, secrets masked."""
        if self.process is None:
            return ""
        return self.redact(self.process.log_tail())

    def close(self) -> None:
        """Stop the master (its commands' channels close) and remove the private directory."""
        process, self.process = self.process, None
        try:
            if process is not None:
                process.stop()
        finally:
            if self._finalizer is not None:
                self._finalizer()
                self._finalizer = None
            self.directory = None

    def __repr__(self) -> str:
        state = "open" if self.alive else "closed"
        return f"<SshMaster {self.describe()} {state}>"
