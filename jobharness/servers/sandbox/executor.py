"""Executing a validated ``/execute/`` request in a fresh working directory.

This mirrors the real server's executor: commands run in order under one
time budget, the first failure stops the run, the result file is read even
after a failure, and the working directory is saved as a new environment on
request. What differs is documented on :class:`Executor`.
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
from jobharness.servers.sandbox.options import ServerOptions
from jobharness.servers.sandbox.responses import AppError
from jobharness.servers.sandbox.storage import EnvironmentStore

log = logging.getLogger(__name__)

UNKNOWN, TIMEOUT, RESULT_NOT_FOUND, RESULT_NOT_UTF8 = -1, -2, -3, -4
UNKNOWN_ERROR_TEXT = "An unknown error occurred on the sandbox\n"
OVERLOADED_TEXT = "Sandbox overloaded, retry after a few seconds."
Started = Callable[[subprocess.Popen[bytes]], None]
INHERITED_VARIABLES = ("PATH", "HOME", "USER", "LOGNAME", "LANG", "TZ", "TMPDIR")


def base_environment() -> dict[str, str]:
    """The variables every command starts with: a few of the server's, never its secrets."""
    env = {name: os.environ[name] for name in INHERITED_VARIABLES if name in os.environ}
    env.setdefault("PATH", os.defpath)
    env.setdefault("LANG", "C.UTF-8")
    return env


class Slots:
    """The pool of "containers": at most ``count`` requests execute at once."""

    def __init__(self, count: int, wait: float) -> None:
        self.count = count
        self.wait = wait
        self._free = threading.BoundedSemaphore(count)
        self._lock = threading.Lock()
        self._in_use = 0

    @property
    def in_use(self) -> int:
        """How many slots are taken now."""
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
            with self._lock:
                self._in_use -= 1
            self._free.release()


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
    orphan archive is left behind by a failed request.
    """

    def __init__(self, options: ServerOptions, store: EnvironmentStore, work_root: Path) -> None:
        self.options = options
        self.store = store
        self.work_root = work_root
        self.limits = runner.Limits(options.memory_limit, options.cpu_limit, options.process_limit)
        self.groups = runner.ProcessGroups()
        self.slots = Slots(options.containers, options.wait_for_container)
        self.environment = base_environment()

    def execute(self, members: list[archives.Member], config: ExecuteConfig) -> dict[str, Any]:
        """Run ``config`` over the environment made of ``members``; the response body."""
        workdir = Path(tempfile.mkdtemp(prefix="run-", dir=self.work_root)).resolve()
        started: list[subprocess.Popen[bytes]] = []
        try:
            start = time.perf_counter()
            archives.extract(members, workdir)
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
        env = {**self.environment, **config.environ}
        budget: float = self.options.execute_timeout
        execution: list[dict[str, Any]] = []
        for spec in config.commands:
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
