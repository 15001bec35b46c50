"""Run one command and end its whole process group when the launcher is gone.

``python supervisor.py --fd N [--pid-fd M] [--grace S] -- command [args...]``

The launcher starts this in a new session and keeps the write end of a pipe
whose read end is ``--fd``. The supervisor runs the command as its child in
its own process group and ends the whole group (SIGTERM, then SIGKILL after
``--grace`` seconds) when the pipe reaches end of file (the launcher exited or
was killed), when it gets SIGTERM, SIGINT or SIGHUP, or when the command exits
on its own; then it exits with the command's status (a command killed by a
signal kills the supervisor with the same signal). The command's PID is
written to ``--pid-fd`` as soon as it runs.

The supervisor is a child subreaper: processes that lose their parent below
it (a server's jobs in their own sessions, an sshd's session processes) become
its children, so they are ended and reaped with the rest instead of escaping
to init.

Standard library only, and nothing of jobharness: the launcher runs it as a
file with ``python -I -S``, which starts the command about 15 ms after the
interpreter is started (``python -m jobharness.servers.supervisor`` works as
well, but imports the jobharness package first).
"""

from __future__ import annotations

import os
import select
import sys
import time

TYPE_CHECKING = False  # importing typing would cost more than the whole supervisor
if TYPE_CHECKING:
    import signal
else:  # the same functions and numbers without the enums, a third of the start-up time
    import _signal as signal

PR_SET_CHILD_SUBREAPER = 36
POLL_MS = 20
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
SETTLE = 5.0  # how long SIGKILLed processes may take to disappear before the supervisor gives up
USAGE = "usage: supervisor.py [--fd N] [--pid-fd M] [--grace SECONDS] -- command [args...]"


class Options:
    """The parsed command line."""

    def __init__(self, argv: list[str]) -> None:
        self.fd: int | None = None
        self.pid_fd: int | None = None
        self.grace = 5.0
        if "--" not in argv:
            raise ValueError("no command after --")
        split = argv.index("--")
        self.command = argv[split + 1 :]
        if not self.command:
            raise ValueError("no command after --")
        options = argv[:split]
        if len(options) % 2:
            raise ValueError(f"option without a value: {options[-1]}")
        for name, value in zip(options[::2], options[1::2], strict=True):
            if name == "--fd":
                self.fd = int(value)
            elif name == "--pid-fd":
                self.pid_fd = int(value)
            elif name == "--grace":
                self.grace = float(value)
            else:
                raise ValueError(f"unknown option {name}")


def become_subreaper() -> None:
    """Adopt the orphans among our descendants (Linux; nothing elsewhere)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (ImportError, OSError, AttributeError):
        pass


def spawn(command: list[str]) -> int:
    """Start ``command`` as our child, with the signal dispositions a fresh process has."""
    return os.posix_spawnp(
        command[0],
        command,
        os.environ,
        setsigdef=(*STOP_SIGNALS, signal.SIGCHLD, signal.SIGPIPE, signal.SIGXFSZ),
    )


def others() -> list[tuple[int, int]]:
    """``(pid, pgid)`` of the live processes in our group or adopted by us, but us."""
    me, group = os.getpid(), os.getpgrp()
    found: list[tuple[int, int]] = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        state, ppid, pgid = fields[0], int(fields[1]), int(fields[2])
        if state not in (b"Z", b"X") and (pgid == group or ppid == me):
            found.append((int(entry), pgid))
    return found


class Supervisor:
    """The command's child process and the events that end it."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.lifeline = options.fd
        self.child = 0
        self.status: int | None = None
        self._wake_read, wake_write = os.pipe()
        os.set_blocking(wake_write, False)
        signal.set_wakeup_fd(wake_write)
        for signum in (*STOP_SIGNALS, signal.SIGCHLD):
            signal.signal(signum, lambda signum, frame: None)

    def reap(self) -> None:
        """Collect every exited child; note the command's status."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid == self.child:
                self.status = os.waitstatus_to_exitcode(status)

    def wait(self, milliseconds: int | None) -> bool:
        """Wait for a signal or the end of the lifeline; True when it is time to stop."""
        poller = select.poll()
        poller.register(self._wake_read, select.POLLIN)
        if self.lifeline is not None:
            poller.register(self.lifeline, select.POLLIN)
        stop = False
        for fd, _ in poller.poll(milliseconds):
            data = os.read(fd, 512)
            if fd != self.lifeline:
                stop = stop or any(signum in data for signum in STOP_SIGNALS)
            elif not data:  # the launcher is gone; stop watching the pipe
                os.close(fd)
                self.lifeline = None
                stop = True
        self.reap()
        return stop or self.status is not None

    def end_all(self) -> None:
        """SIGTERM everything left, SIGKILL it after the grace period, and reap it."""
        kill_at = time.monotonic() + self.options.grace
        give_up = kill_at + SETTLE
        told: set[int] = set()
        while True:
            left = others()
            self.reap()  # after the look: the zombies it skipped are collected
            now = time.monotonic()
            if not left or now > give_up:
                return
            signum = signal.SIGKILL if now >= kill_at else signal.SIGTERM
            for pid, pgid in left:
                if signum == signal.SIGTERM and pid in told:
                    continue
                told.add(pid)
                try:
                    if pgid != os.getpgrp():
                        os.killpg(pgid, signum)
                    os.kill(pid, signum)
                except OSError:
                    pass
            self.wait(POLL_MS)

    def run(self) -> int:
        """Run the command to the end; its exit status."""
        try:
            self.child = spawn(self.options.command)
        except OSError as exc:
            print(f"supervisor: cannot run {self.options.command[0]!r}: {exc}", file=sys.stderr)
            return 126 if isinstance(exc, PermissionError) else 127
        if self.options.pid_fd is not None:
            os.write(self.options.pid_fd, f"{self.child}\n".encode())
            os.close(self.options.pid_fd)
        while not self.wait(None):
            pass
        self.end_all()
        return self.status if self.status is not None else -signal.SIGKILL


def exit_like(status: int) -> None:
    """Exit with ``status``; a negative one is a signal, which we die of in turn.

    Everything is ended by now, so a stop signal arriving late (the launcher's
    SIGTERM as we exit) is ignored: Python puts the default action back while it
    finalizes, and that would turn the command's status into -15.
    """
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    if status < 0:
        if -status != signal.SIGKILL:
            signal.signal(-status, signal.SIG_DFL)
        os.kill(os.getpid(), -status)
        status = 128 - status
    sys.exit(status)


def main(argv: list[str] | None = None) -> None:
    """Entry point: parse the arguments, supervise the command, exit like it."""
    try:
        options = Options(sys.argv[1:] if argv is None else argv)
    except ValueError as exc:
        print(f"supervisor: {exc}\n{USAGE}", file=sys.stderr)
        sys.exit(2)
    for fd in (options.fd, options.pid_fd):
        if fd is not None:
            os.set_inheritable(fd, False)
    if os.getpgrp() != os.getpid():  # never end a group we did not start
        os.setpgid(0, 0)
    become_subreaper()
    exit_like(Supervisor(options).run())


if __name__ == "__main__":
    main()
