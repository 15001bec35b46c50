"""Executing a validated ``/execute/`` request in a fresh working directory.

This mirrors the real server's executor: commands run in order under one
time budget, the first failure stops the run, the result file is read even
after a failure, and the working directory is saved as a new environment on
request. What ``docker exec`` makes of a command or variables it cannot pass
on (a NUL byte, an empty name) is reproduced (:func:`exec_refusal`). What
differs is documented on :class:`Executor`.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from jobharness.servers.sandbox import archives, runner
from jobharness.servers.sandbox.config import CommandSpec, ExecuteConfig
from jobharness.servers.sandbox.faults import ContainerLoss
from jobharness.servers.sandbox.options import ServerOptions
from jobharness.servers.sandbox.responses import AppError
from jobharness.servers.sandbox.storage import EnvironmentStore

log = logging.getLogger(__name__)

UNKNOWN, TIMEOUT, RESULT_NOT_FOUND, RESULT_NOT_UTF8 = -1, -2, -3, -4
UNKNOWN_ERROR_TEXT = "An unknown error occurred on the sandbox\n"
OVERLOADED_TEXT = "Sandbox overloaded, retry after a few seconds."
EXEC_INVALID_TEXT = "exec /usr/bin/bash: invalid argument"
"""What the real server's ``docker exec`` answers to a command or variable it cannot pass on."""
EXIT_EXEC_INVALID_COMMAND, EXIT_EXEC_INVALID_ENVIRON = 1, 126
Started = Callable[[subprocess.Popen[bytes]], None]
INHERITED_VARIABLES = ("PATH", "HOME", "USER", "LOGNAME", "LANG", "TZ", "TMPDIR")


def base_environment() -> dict[str, str]:
    """The variables every command starts with: a few of the server's, never its secrets."""
    env = {name: os.environ[name] for name in INHERITED_VARIABLES if name in os.environ}
    env.setdefault("PATH", os.defpath)
    env.setdefault("LANG", "C.UTF-8")
    return env


class Slots:
    """The pool of "containers": at most ``count`` requests execute at once.

    A slot comes back ``return_delay`` seconds after its request ends, as a
    real container comes back once Docker has restarted it.
    """

    def __init__(self, count: int, wait: float, return_delay: float = 0.0) -> None:
        self.count = count
        self.wait = wait
        self.return_delay = return_delay
        self._free = threading.BoundedSemaphore(count)
        self._lock = threading.Lock()
        self._in_use = 0

    @property
    def in_use(self) -> int:
        """How many slots are taken now (those on their way back included)."""
        return self._in_use

    @contextlib.contextmanager
    def acquire(self) -> Iterator[None]:
        """Hold a slot for the block; a 503 if none frees up within ``wait`` seconds."""
        if not self._free.acquire(timeout=max(0.0, self.wait)):
            raise AppError(503, OVERLOADED_TEXT)
        with self._lock:
            self._in_use += 1
        try:
            yield
        finally:
            if self.return_delay > 0:
                back = threading.Timer(self.return_delay, self._give_back)
                back.daemon = True
                back.start()
            else:
                self._give_back()

    def _give_back(self) -> None:
        with self._lock:
            self._in_use -= 1
        self._free.release()


def docker_environ(environ: dict[str, str]) -> tuple[dict[str, str], bool]:
    """``environ`` as ``docker exec`` passes it, and whether it can pass it at all.

    Docker hands each variable on as ``NAME=value``, so a name holding ``=``
    ends at its first ``=`` (``{"A=B": "c"}`` sets ``A`` to ``B=c``). A NUL
    byte anywhere or an empty name makes every exec fail (exit 126).
    """
    passed: dict[str, str] = {}
    for name, value in environ.items():
        entry = f"{name}={value}"
        if "\0" in entry or not name:
            return {}, False
        head, _, tail = entry.partition("=")
        if not head:
            return {}, False
        passed[head] = tail
    return passed, True


def exec_refusal(command: str, environ_ok: bool) -> tuple[int, str] | None:
    """The exit code and stderr of an exec the real server's Docker refuses, or None.

    A NUL byte in the command is exit 1, variables Docker cannot pass exit
    126, both with ``exec /usr/bin/bash: invalid argument``.
    """
    if not environ_ok:
        return EXIT_EXEC_INVALID_ENVIRON, EXEC_INVALID_TEXT
    if "\0" in command:
        return EXIT_EXEC_INVALID_COMMAND, EXEC_INVALID_TEXT
    return None


def read_result(workdir: Path, result_path: str) -> str:
    """The exact text (universal newlines, as the real server reads it) of ``result_path``.

    A path that leads outside the working directory counts as missing; the real
    server would read it from the host.
    """
    target = Path(os.path.realpath(os.path.join(workdir, result_path)))
    if target != workdir and workdir not in target.parents:
        raise FileNotFoundError(result_path)
    with open(target, encoding="utf-8") as handle:
        return handle.read()


class Executor:
    """Runs requests: extraction, commands, result, saving, cleanup.

    Differences from the real server, all deliberate: commands are local
    processes (no Docker); a timed-out command's whole process group is
    killed at once; the process groups a request started are killed when it
    ends (the real server restarts the container after the response); a
    command sent with timeout 0 is cut after ``hard_timeout`` seconds; and no
    orphan archive is left behind by a failed request. The fault
    ``container-removed-every=N`` gives every N-th execution the -1 of a
    container Docker removed under it.
    """

    def __init__(self, options: ServerOptions, store: EnvironmentStore, work_root: Path) -> None:
        self.options = options
        self.store = store
        self.work_root = work_root
        self.limits = runner.Limits(options.memory_limit, options.cpu_limit, options.process_limit)
        self.groups = runner.ProcessGroups()
        self.slots = Slots(
            options.containers, options.wait_for_container, options.container_return_delay
        )
        self.environment = base_environment()
        self.container_loss = ContainerLoss(options.faults.container_removed_every)

    def execute(self, members: list[archives.Member], config: ExecuteConfig) -> dict[str, Any]:
        """Run ``config`` over the environment made of ``members``; the response body."""
        workdir = Path(tempfile.mkdtemp(prefix="run-", dir=self.work_root)).resolve()
        started: list[subprocess.Popen[bytes]] = []
        try:
            start = time.perf_counter()
            archives.extract(members, workdir)
            if self.container_loss.next_is_lost():
                status, execution = UNKNOWN, [lost_container(config.commands[0])]
            else:
                status, execution = self._run_commands(config, workdir, started.append)
            result = None
            if config.result_path is not None:
                try:
                    result = read_result(workdir, config.result_path)
                except FileNotFoundError:
                    status = RESULT_NOT_FOUND
                except UnicodeDecodeError:
                    status = RESULT_NOT_UTF8
            self._kill(started)
            saved: tuple[str, str] | None = None
            if config.save:
                name = str(uuid.uuid4())
                archives.pack(workdir, self.store.path_for(name))
                saved = (name, self.store.expiry_of_new())
            response: dict[str, Any] = {
                "status": status,
                "execution": execution,
                "total_time": time.perf_counter() - start,
            }
            if saved is not None:
                response["environment"], response["expire"] = saved
            if result is not None:
                response["result"] = result
            return response
        finally:
            self._kill(started)
            shutil.rmtree(workdir, ignore_errors=True)

    def _kill(self, processes: list[subprocess.Popen[bytes]]) -> None:
        for process in processes:
            self.groups.kill(process)
        processes.clear()

    def _run_commands(
        self,
        config: ExecuteConfig,
        workdir: Path,
        started: Started,
    ) -> tuple[int, list[dict[str, Any]]]:
        environ, environ_ok = docker_environ(config.environ)
        env = {**self.environment, **environ}
        budget: float = self.options.execute_timeout
        execution: list[dict[str, Any]] = []
        for spec in config.commands:
            refusal = exec_refusal(spec.command, environ_ok)
            if refusal is not None:
                entry = refused_exec(spec, *refusal)
            else:
                entry = self._run_one(spec, min(spec.timeout, budget), workdir, env, started)
            execution.append(entry)
            code = entry["exit_code"]
            if code < 0 and code != TIMEOUT:
                return code, execution
            if not spec.ignore_failure and code != 0:
                return int(code), execution
            budget -= max(entry["time"], 0)
        return 0, execution

    def _run_one(
        self,
        spec: CommandSpec,
        timeout: float,
        workdir: Path,
        env: dict[str, str],
        started: Started,
    ) -> dict[str, Any]:
        entry: dict[str, Any] = {"command": spec.command}
        begin = time.perf_counter()
        shown: float = timeout
        if timeout == 0 or math.isnan(timeout) or timeout > self.options.hard_timeout:
            shown = self.options.hard_timeout  # "no timeout" still ends some day
        try:
            if shown < 0:
                outcome = runner.Outcome(None, b"", b"")
            else:
                outcome = runner.run(
                    spec.command, workdir, env, float(shown), self.limits, self.groups, started
                )
            if outcome.timed_out:
                code, out, err = TIMEOUT, "", f"Command timed out after {shown} seconds\n"
            else:
                assert outcome.exit_code is not None
                code = outcome.exit_code
                out, err = outcome.stdout.decode().strip(), outcome.stderr.decode().strip()
        except (UnicodeDecodeError, OSError, subprocess.SubprocessError):
            log.exception("command %r could not be run or its output read", spec.command)
            code, out, err = UNKNOWN, "", UNKNOWN_ERROR_TEXT
        entry.update(exit_code=code, stdout=out, stderr=err, time=time.perf_counter() - begin)
        return entry

    def stop(self) -> None:
        """Kill every running command's process group (server stop)."""
        self.groups.kill_all()


def refused_exec(spec: CommandSpec, exit_code: int, stderr: str) -> dict[str, Any]:
    """The entry of a command that never started: its exit code and message."""
    return {
        "command": spec.command,
        "exit_code": exit_code,
        "stdout": "",
        "stderr": stderr,
        "time": 0.0,
    }


def lost_container(spec: CommandSpec) -> dict[str, Any]:
    """The entry of a first command whose container Docker removed: never started, exit -1."""
    return refused_exec(spec, UNKNOWN, UNKNOWN_ERROR_TEXT)
