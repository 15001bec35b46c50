"""Commands in targets: crl's execution keywords, and background commands as jobs."""

from __future__ import annotations

import shlex
from datetime import timedelta
from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from jobharness.backends.terminal import Route, Terminal, TerminalError, TerminalJob
from jobharness.errors import ConfigurationError
from jobharness.jobs import Job
from jobharness.redaction import snippet
from robotlib._core.connections import UsesConnection
from robotlib._core.context import LibraryContext
from robotlib._core.jobs import StateKeywords, WaitKeywords
from robotlib._core.logging import wait_and_log
from robotlib.terminal.results import RunResult, log_run
from robotlib.terminal.targets import DEFAULT, TargetKeywords

NOHUP_STOP_TIMEOUT = 5.0


class CommandKeywords(UsesConnection[TargetKeywords]):
    """``Execute Command In Target`` and the background executions of crl, and commands as jobs.

    Commands run in the target's ``default_executable`` (``/bin/bash``)
    unless ``executable`` says otherwise, with the target's
    ``update_env_dict`` in their environment.
    """

    def __init__(self, context: LibraryContext, connection: TargetKeywords, **names: str) -> None:
        super().__init__(context, connection, **names)
        self.backgrounds: dict[str, TerminalJob] = {}
        self.nohups: list[tuple[Route, int]] = []

    def _line(self, command: str, target: str, executable: str | None) -> str:
        shell = executable or self.connection.property(target, "default_executable")
        return f"{shell} -c {shlex.quote(command)}" if shell else command

    def _env(self, target: str, extra: dict[str, str] | None = None) -> dict[str, str] | None:
        configured = self.connection.property(target, "update_env_dict") or {}
        env = {str(k): str(v) for k, v in {**configured, **(extra or {})}.items()}
        return env or None

    def _what(self, terminal: Terminal, command: str, target: str) -> str:
        return f"{terminal.redact(snippet(command, 120))!r} in target {target!r}"

    @keyword
    def execute_command_in_target(
        self,
        command: str,
        target: str = DEFAULT,
        timeout: timedelta | None = None,
        executable: str | None = None,
        progress_log: bool = False,
    ) -> RunResult:
        """Run the shell ``command`` in ``target``; return its ``status``, ``stdout``, ``stderr``.

        One round trip over the target's open connection; standard output
        and standard error come apart. ``timeout`` (default: the library's)
        bounds the command: when it runs out the command's process group gets
        SIGTERM (SIGKILL after the target's ``termination_timeout``) and the
        keyword fails with what it printed. A status other than 0 does not
        fail the keyword. ``progress_log`` logs each stdout line at DEBUG as
        it comes.

        | ${result}=     | Execute Command In Target | echo foo; echo bar >&2 |
        | Should Be Equal | ${result.status}         | 0                      |
        | Should Be Equal | ${result.stdout}         | foo                    |
        | Should Be Equal | ${result.stderr}         | bar                    |
        """
        terminal = self.connection.terminal(target)

        def progress(line: str) -> None:
            logger.debug(terminal.redact(line))

        result = terminal.run(
            self._line(command, target, executable),
            self.connection.seconds_of(timeout),
            stream=progress if progress_log else None,
            env=self._env(target),
        )
        run = RunResult.of(result, terminal.redact)
        log_run(self._what(terminal, command, target), run)
        return run

    # -- background, crl's way ---------------------------------------------------------------

    def _background(self, exec_id: str) -> TerminalJob:
        job = self.backgrounds.get(exec_id)
        if job is None:
            raise ConfigurationError(
                f"no background execution {exec_id!r} (running: "
                f"{', '.join(sorted(self.backgrounds)) or 'none'})"
            )
        return job

    @keyword
    def execute_background_command_in_target(
        self,
        command: str,
        target: str = DEFAULT,
        exec_id: str = "background",
        executable: str | None = None,
    ) -> TerminalJob:
        """Start ``command`` in ``target`` and return at once; ``exec_id`` names it.

        See `Wait Background Execution` and `Kill Background Execution`. The
        command is also a job (returned): the `Wait For Command` family works
        on it, and it is killed when the test ends if it still runs. An
        ``exec_id`` can be used again once its command has ended.

        | Execute Background Command In Target | echo hello; sleep 10 | exec_id=hello |
        | ${result}= | Kill Background Execution | hello |
        """
        running = self.backgrounds.get(exec_id)
        if running is not None and not running.done and not running.refresh().is_final:
            raise ConfigurationError(
                f"exec_id {exec_id!r} is in use by a command that still runs: wait for it or "
                "kill it first"
            )
        terminal = self.connection.terminal(target)
        job = terminal.start(
            self._line(command, target, executable), name=exec_id, env=self._env(target)
        )
        self.ctx.track(job)
        self.backgrounds[exec_id] = job
        logger.info(f"started {exec_id!r}: {self._what(terminal, command, target)}")
        return job

    @keyword
    def wait_background_execution(
        self, exec_id: str = "background", timeout: timedelta | None = None
    ) -> RunResult:
        """Wait until the background execution ``exec_id`` ends; return its result.

        ``timeout`` (default: the library's) bounds the wait; when it runs
        out the keyword fails and the command keeps running. The ``exec_id``
        is free again afterwards.
        """
        job = self._background(exec_id)
        wait_and_log(
            [job],
            timeout,
            self.ctx.default_timeout,
            job_log=self.ctx.job_log,
        )
        del self.backgrounds[exec_id]
        return self._result(job)

    @keyword
    def kill_background_execution(self, exec_id: str = "background") -> RunResult:
        """Stop the background execution ``exec_id``: SIGTERM to its process group, SIGKILL after
        the target's ``termination_timeout``; return its result (status ``-15`` after SIGTERM).

        `Wait Background Execution` returns the same result afterwards.
        """
        job = self._background(exec_id)
        job.cancel()
        self.ctx.job_log.changes(job)
        return self._result(job)

    def _result(self, job: TerminalJob) -> RunResult:
        run = RunResult.of(job.command_result, job.terminal.redact)
        log_run(f"background execution {job.name!r}", run)
        return run

    @keyword
    def execute_nohup_background_in_target(
        self, command: str, target: str = DEFAULT, executable: str | None = None
    ) -> int:
        """Start ``command`` in ``target`` as a daemon of its own session; return its PID.

        The PID is also its process group: ``kill -- -PID`` stops it and what
        it started. It keeps running after the test and the suite; it is
        stopped when the run ends.
        """
        terminal = self.connection.terminal(target)
        line = self._line(command, target, executable)
        result = terminal.run(
            f"setsid {line} </dev/null >/dev/null 2>&1 & echo $!",
            terminal.request_timeout,
            env=self._env(target),
        ).check()
        pid = int(result.stdout.strip())
        self.nohups.append((terminal.route, pid))
        logger.info(f"started {self._what(terminal, command, target)} as PID {pid}")
        return pid

    def stop_nohups(self) -> None:
        """Stop the process groups `Execute Nohup Background In Target` started (the run ends)."""
        nohups, self.nohups = self.nohups, []
        for where, pid in nohups:
            terminal = self.connection.terminals.get(where)
            own = terminal is None
            terminal = terminal or Terminal(where, request_timeout=NOHUP_STOP_TIMEOUT)
            try:
                terminal.run(f"kill -s KILL -- -{pid} 2>/dev/null", NOHUP_STOP_TIMEOUT)
            except TerminalError as exc:
                logger.warn(f"could not stop the nohup process group {pid}: {exc}")
            finally:
                if own:
                    terminal.close()

    # -- commands as jobs --------------------------------------------------------------------

    @keyword
    def start_command_in_target(
        self,
        command: str,
        target: str = DEFAULT,
        name: str = "",
        env: dict[str, str] | None = None,
        cwd: str | None = None,
        stdin: str | None = None,
        executable: str | None = None,
    ) -> TerminalJob:
        """Start ``command`` in ``target``; return it as a job for `Wait For Command` and the rest.

        ``env`` adds environment variables, ``cwd`` is where it starts,
        ``stdin`` is given as its standard input. It is killed when the test
        ends if it still runs.

        | ${job}=   | Start Command In Target | sleep 1; echo done | name=sleeper |
        | ${result}= | Wait For Command       | ${job}             | timeout=10 s |
        | Should Be Equal | ${result.stdout}  | done               |              |
        """
        terminal = self.connection.terminal(target)
        job = terminal.start(
            self._line(command, target, executable),
            name=name,
            env=self._env(target, env),
            cwd=cwd,
            stdin=stdin,
        )
        self.ctx.track(job)
        logger.info(f"started {job.summary()}")
        return job

    def cancel_all(self) -> None:
        """Kill every background execution still running and forget them (crl's ``Close``)."""
        jobs, self.backgrounds = list(self.backgrounds.values()), {}
        for job in jobs:
            if not job.done:
                job.cancel()


class CommandWaits(WaitKeywords):
    """The shared waits; they return crl's ``RunResult`` (status, stdout, stderr)."""

    def returned(self, job: Job) -> Any:
        """The command's ``RunResult``."""
        if isinstance(job, TerminalJob):
            return RunResult.of(job.command_result, job.terminal.redact)
        return job.result

    def result_rows(self, job: Job) -> list[tuple[str, Any]]:
        """Status, process group and command."""
        if not isinstance(job, TerminalJob):
            return []
        return [("status", job.status), ("process group", job.pgid), ("command", job.command)]


class CommandStates(StateKeywords):
    """The shared state keywords; the terminal's own states are checked for typos."""

    native_states = ("starting", "running", "exited", "killed", "cancelled", "lost")
