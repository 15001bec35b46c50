"""How a task instance becomes a process: the command line, environment and log files.

Executable tasks follow upstream's worker exactly: ``os.path.expandvars``
with the server's environment, ``shlex.split`` (no shell), the arguments
appended as one JSON argv element or through a ``json_file_option`` file, and
an environment of only the listed variables plus ``JOB_UUID`` and ``PATH``.
Container tasks run through a configured runtime CLI (the command is split,
not expanded, and the arguments are one extra argv element, as upstream).
"""

from __future__ import annotations

import json
import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jobharness.servers.saltant.kinds import DOCKER
from jobharness.servers.saltant.store import Row


class LaunchError(Exception):
    """The job cannot start; the message goes to its stderr log and the job fails."""


@dataclass(frozen=True)
class Layout:
    """Where jobs write: ``logs/<uuid>/<uuid>-stdout.txt``, temp files, container results."""

    root: Path

    def log_dir(self, uuid: str) -> Path:
        """The log directory of job ``uuid``."""
        return self.root / "logs" / uuid

    def stdout(self, uuid: str) -> Path:
        """The stdout log of job ``uuid``."""
        return self.log_dir(uuid) / f"{uuid}-stdout.txt"

    def stderr(self, uuid: str) -> Path:
        """The stderr log of job ``uuid``."""
        return self.log_dir(uuid) / f"{uuid}-stderr.txt"

    @property
    def temp(self) -> Path:
        """The directory for argument files."""
        return self.root / "tmp"

    def results(self, uuid: str) -> Path:
        """The host directory bound to a container's results path."""
        return self.root / "results" / uuid

    def note(self, uuid: str, message: str) -> None:
        """Append a line from the server to the job's stderr log."""
        self.log_dir(uuid).mkdir(parents=True, exist_ok=True)
        with self.stderr(uuid).open("a", encoding="utf-8") as log:
            log.write(f"jobharness: {message}\n")


@dataclass(frozen=True)
class Runtimes:
    """Container runtime CLIs: Docker-compatible for docker tasks, Singularity/Apptainer."""

    docker: str | None = None
    singularity: str | None = None


@dataclass
class Launch:
    """A ready command: its argv, environment and the files to remove afterwards."""

    argv: list[str]
    env: dict[str, str]
    temp_files: list[Path] = field(default_factory=list)
    after_kill: list[str] | None = None


def _command(command_to_run: str, expand: bool) -> list[str]:
    text = os.path.expandvars(command_to_run) if expand else command_to_run
    try:
        return shlex.split(text)
    except ValueError as exc:
        raise LaunchError(f"cannot split command {command_to_run!r}: {exc}") from None


def _listed_environment(names: list[Any]) -> dict[str, str]:
    env: dict[str, str] = {}
    for name in names:
        if str(name) not in os.environ:
            raise LaunchError(
                f"Environment variable '{name}' not present in the worker's environment!"
            )
        env[str(name)] = os.environ[str(name)]
    return env


def executable_launch(
    uuid: str, task_type: Row, arguments: dict[str, Any], layout: Layout
) -> Launch:
    """The process of an executable task instance."""
    argv = _command(task_type["command_to_run"], expand=True)
    if not argv:
        raise LaunchError("the command to run is empty")
    env = _listed_environment(task_type["environment_variables"])
    env["JOB_UUID"] = uuid
    if "PATH" in os.environ:
        env["PATH"] = os.environ["PATH"]
    launch = Launch(argv, env)
    if arguments:
        option = task_type.get("json_file_option")
        if option:
            layout.temp.mkdir(parents=True, exist_ok=True)
            path = layout.temp / f"{uuid}_args.json"
            path.write_text(json.dumps(arguments) + "\n", encoding="utf-8")
            launch.argv += [option, str(path)]
            launch.temp_files.append(path)
        else:
            launch.argv.append(json.dumps(arguments))
    return launch


def _bindings(uuid: str, task_type: Row, layout: Layout) -> list[tuple[Path, str]]:
    pairs: list[tuple[Path, str]] = []
    if task_type.get("logs_path"):
        pairs.append((layout.log_dir(uuid) / "container", task_type["logs_path"]))
    if task_type.get("results_path"):
        pairs.append((layout.results(uuid), task_type["results_path"]))
    for host, _ in pairs:
        host.mkdir(parents=True, exist_ok=True)
    return pairs


def container_launch(
    uuid: str, task_type: Row, arguments: dict[str, Any], layout: Layout, runtimes: Runtimes
) -> Launch:
    """The runtime command of a container task instance (its arguments as one JSON argv element)."""
    kind = task_type["container_type"]
    runtime = runtimes.docker if kind == DOCKER else runtimes.singularity
    if not runtime:
        option = "--container-runtime" if kind == DOCKER else "--singularity"
        raise LaunchError(
            f"no {kind} runtime is configured on this server; "
            f"start it with {option} PATH to run {kind} container tasks"
        )
    listed = _listed_environment(task_type["environment_variables"])
    listed["JOB_UUID"] = uuid
    command = _command(task_type["command_to_run"], expand=False)  # as upstream: no expansion
    if arguments:
        command.append(json.dumps(arguments))
    env = dict(os.environ)
    bindings = _bindings(uuid, task_type, layout)
    if kind == DOCKER:
        name = f"saltant-{uuid}"
        env.update(listed)
        argv = [runtime, "run", "--rm", "--name", name]
        for variable in listed:
            argv += ["-e", variable]
        for host, inside in bindings:
            argv += ["-v", f"{host}:{inside}"]
        return Launch(
            [*argv, task_type["container_image"], *command],
            env,
            after_kill=[runtime, "rm", "-f", name],
        )
    for prefix in ("SINGULARITYENV_", "APPTAINERENV_"):  # --cleanenv passes only these
        env.update({f"{prefix}{k}": v for k, v in listed.items()})
    argv = [runtime, "exec", "--cleanenv"]
    for host, inside in bindings:
        argv += ["-B", f"{host}:{inside}"]
    return Launch([*argv, task_type["container_image"], *command], env)
