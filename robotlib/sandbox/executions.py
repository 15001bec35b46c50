"""``Execute In Sandbox`` and ``Start In Sandbox``: run commands, now or in the background."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from jobharness.backends.sandbox import ExecutionResult, SandboxJob
from jobharness.errors import ConfigurationError
from robotlib._core.connections import UsesConnection
from robotlib._core.conversions import caller_id, renamed_argument, seconds
from robotlib._core.logging import html_table, log_body
from robotlib.sandbox.connection import SandboxConnection


def _check_upload(environment: Path | None) -> None:
    """The keyword's ``environment`` must exist (the client would call it ``environ``)."""
    if environment is not None and not environment.exists():
        raise ConfigurationError(
            f"environment {str(environment)!r} is neither a directory nor a .tar.gz file "
            "(a saved environment's uuid goes into from_environment)"
        )


def build_config(
    commands: tuple[str | Mapping[str, Any], ...],
    environ: Mapping[str, Any] | None,
    from_environment: str | None,
    result_path: str | None,
    save: bool,
    command_timeout: timedelta | None,
) -> dict[str, Any]:
    """The execution config the keywords' arguments describe."""
    items: list[Any] = list(commands)
    if command_timeout is not None:
        limit = seconds(command_timeout, 0.0, "command_timeout")
        items = [
            {"command": item, "timeout": limit} if isinstance(item, str) else item for item in items
        ]
    config: dict[str, Any] = {"commands": items}
    if environ:
        config["environ"] = dict(environ)
    if from_environment:
        config["environment"] = from_environment
    if result_path is not None:
        config["result_path"] = result_path
    if save:
        config["save"] = True
    return config


class ExecutionKeywords(UsesConnection[SandboxConnection]):
    """Running commands in the current sandbox connection."""

    def _config(
        self,
        keyword_name: str,
        commands: tuple[str | dict[str, Any], ...],
        environment: Path | None,
        environ: dict[str, Any] | None,
        from_environment: str | None,
        result_path: str | None,
        save: bool,
        command_timeout: timedelta | None,
        timeout: timedelta | None,
    ) -> dict[str, Any]:
        limit = renamed_argument(
            keyword_name, "timeout", "command_timeout", timeout, command_timeout
        )
        config = build_config(commands, environ, from_environment, result_path, save, limit)
        _check_upload(environment)
        return config

    @keyword
    def execute_in_sandbox(
        self,
        *commands: str | dict[str, Any],
        environment: Path | None = None,
        environ: dict[str, Any] | None = None,
        from_environment: str | None = None,
        result_path: str | None = None,
        save: bool = False,
        command_timeout: timedelta | None = None,
        request_timeout: timedelta | None = None,
        timeout: timedelta | None = None,
        repeat_unknown: int | None = None,
    ) -> ExecutionResult:
        """Run ``commands`` in order in a fresh sandbox working directory; return the result.

        - ``environment``: a local directory (packed on the fly) or a ``.tar.gz``
          archive whose content fills the working directory first.
        - ``environ``: a dictionary of environment variables for every command.
        - ``from_environment``: the uuid of an environment the server kept
          (``save=True`` earlier); ``environment`` files are laid over it.
        - ``result_path``: a file whose text comes back as ``${result.result}``.
        - ``save``: keep the final working directory; its uuid is
          ``${result.environment}``.
        - ``command_timeout``: the time limit of each command, which the
          server enforces (it caps each request at its own budget, 10 s by
          default). A command may also be a dictionary ``{"command": ...,
          "timeout": ...}``. ``timeout`` is its older, deprecated name.
        - ``request_timeout``: how long this keyword waits for the answer
          (default: the connection's).
        - ``repeat_unknown``: how often the execution is sent again while
          the answer is status -1 (``UNKNOWN``); default: the connection's
          (0). Give it only for commands that are safe to run twice: -1 means
          either that the sandbox lost the container before the command
          started, or that the command ran and wrote output that is not UTF-8.

        A failing command does not fail this keyword; assert on the result.
        Logs a one-line summary, the answer at DEBUG and the commands as a table.

        | ${result}= | Execute In Sandbox | python3 main.py | environment=${CURDIR}/exercise |
        | ${result}= | Execute In Sandbox | -false | echo $NAME | environ=${{{"NAME": "x"}}} |
        | ${saved}=  | Execute In Sandbox | echo 1 > n.txt | save=True |
        | ${result}= | Execute In Sandbox | cat n.txt | from_environment=${saved.environment} |
        """
        config = self._config(
            "Execute In Sandbox",
            commands,
            environment,
            environ,
            from_environment,
            result_path,
            save,
            command_timeout,
            timeout,
        )
        result = self.connection.client.execute(
            config,
            environment,
            timeout=_request_timeout(request_timeout),
            repeat_unknown=repeat_unknown,
        )
        self._log_execution(result)
        return result

    @keyword
    def start_in_sandbox(
        self,
        *commands: str | dict[str, Any],
        environment: Path | None = None,
        environ: dict[str, Any] | None = None,
        from_environment: str | None = None,
        result_path: str | None = None,
        save: bool = False,
        command_timeout: timedelta | None = None,
        request_timeout: timedelta | None = None,
        timeout: timedelta | None = None,
        repeat_unknown: int | None = None,
    ) -> SandboxJob:
        """Start an execution in the background and return its job handle at once.

        Takes the same arguments as `Execute In Sandbox`. Wait with `Wait For
        Sandbox Job` (or JobLibrary's `Wait For Job`); the job's result value
        is the execution result, which the assertion keywords of this library
        accept as well as the job.

        | ${job}=    | Start In Sandbox | sleep 1 | echo done |
        | ${result}= | Wait For Sandbox Job | ${job}  | timeout=30 s |
        | Command Stdout Should Be | ${job} | -1 | done |
        """
        config = self._config(
            "Start In Sandbox",
            commands,
            environment,
            environ,
            from_environment,
            result_path,
            save,
            command_timeout,
            timeout,
        )
        job = self.connection.client.start(
            config,
            environment,
            name=caller_id(),
            timeout=_request_timeout(request_timeout),
            repeat_unknown=repeat_unknown,
        )
        self.ctx.track(job)
        return job

    def _log_execution(self, result: ExecutionResult) -> None:
        logger.info(result.summary())
        log_body("sandbox answer", json.dumps(dict(result.raw)))
        rows = [
            (i, c.command, c.exit_code, f"{c.time:.3f}", c.stdout, c.stderr)
            for i, c in enumerate(result.execution)
        ]
        headers = ("#", "command", "exit code", "time (s)", "stdout", "stderr")
        logger.info(html_table(headers, rows), html=True)


def _request_timeout(value: timedelta | None) -> float | None:
    """The keyword's ``request_timeout`` in seconds, or None for the connection's."""
    return None if value is None else seconds(value, 0.0, "request_timeout")
