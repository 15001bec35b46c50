"""Robot Framework keywords for the PremierLangage sandbox."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from robot.api import logger
from robot.api.deco import keyword, library

from jobharness.backends.sandbox import (
    CommandResult,
    ExecutionResult,
    Sandbox,
    SandboxErrCode,
    SandboxJob,
    status_name,
    validate_config,
)
from jobharness.backends.sandbox.settings import SANDBOX_URL
from jobharness.cleanup import CleanupPolicy
from jobharness.errors import ConfigurationError
from jobharness.jobs import JobResult
from jobharness.transport.redaction import redact
from robotlib._common import (
    BackendLibrary,
    caller_id,
    html_table,
    log_body,
    robot_setting,
    seconds,
)

DEFAULT_REQUEST_TIMEOUT = 60.0


@library(scope="GLOBAL", listener="SELF")
class SandboxLibrary(BackendLibrary):
    """Run shell commands on a PremierLangage sandbox and assert on what they did.

    == Connecting ==

    `Connect To Sandbox` with a URL talks to that server. Without one, the
    URL comes from the ``JOBHARNESS_SANDBOX_URL`` environment variable, then
    from the ``${SANDBOX_URL}`` Robot variable (``--variable SANDBOX_URL:http://...``);
    when neither is set, an embedded sandbox server is started on 127.0.0.1
    for the run. Keywords used before any `Connect To Sandbox` connect that
    way on their own. Several connections are kept by alias; see
    `Switch Sandbox Connection`.

    == Executions ==

    `Execute In Sandbox` runs commands in order in a fresh working directory,
    optionally filled from a local directory or ``.tar.gz`` archive, and
    returns the execution result. A failing command does not fail the
    keyword: the server stops at the first failing command, and the result
    says which one. Prefix a command with ``-`` to ignore its failure. Assert
    with `Execution Status Should Be`, `Command Exit Code Should Be` and the
    ``Command Stdout``/``Stderr`` keywords, which take a command ``index``
    (``0`` is the first, ``-1`` the last command that ran).

    The status is ``0`` (``OK``), the exit code of the command that stopped
    the run, or one of ``-1`` (``UNKNOWN``), ``-2`` (``TIMEOUT``), ``-3``
    (``RESULT_NOT_FOUND``), ``-4`` (``RESULT_NOT_UTF8``).

    Configs are checked before they are sent: a bad one fails the keyword
    with the field at fault, e.g. ``commands[2].timeout``.

    `Start In Sandbox` runs an execution in the background and returns a job
    handle for JobLibrary's `Wait For Job` and friends. The sandbox cannot
    stop an execution, so cancelling such a job does nothing.

    == Example ==

    | ***** Settings *****
    | Library    robotlib.SandboxLibrary
    |
    | ***** Test Cases *****
    | Greets
    |     ${result}=    Execute In Sandbox    echo hello > greeting.txt    cat greeting.txt
    |     Execution Status Should Be    ${result}    OK
    |     Command Stdout Should Be    ${result}    -1    hello
    """

    backend = "sandbox"

    def __init__(
        self,
        cleanup: CleanupPolicy = CleanupPolicy.TEST,
        timeout: timedelta = timedelta(seconds=DEFAULT_REQUEST_TIMEOUT),
    ) -> None:
        """``cleanup`` says when unfinished background executions are forgotten
        (``test``, ``suite`` or ``never``); ``timeout`` is the default HTTP
        request timeout and the default wait for `Start In Sandbox` jobs.
        """
        super().__init__(cleanup=cleanup, timeout=timeout)

    # -- connections -------------------------------------------------------------------

    @keyword
    def connect_to_sandbox(
        self,
        url: str | None = None,
        alias: str | None = None,
        timeout: timedelta | None = None,
        verify: bool = True,
        retries: int = 3,
    ) -> int:
        """Open a connection to the sandbox at ``url`` and make it the current one.

        Without ``url``: the ``JOBHARNESS_SANDBOX_URL`` environment variable,
        else the ``${SANDBOX_URL}`` variable, else an embedded server started
        for this run. ``timeout`` is the HTTP request timeout (default: the
        library's). ``verify=False`` turns off TLS certificate checks.
        ``retries`` is how often a read, or an execution the server refused
        as overloaded (503), is tried again, with backoff.
        Returns the connection's index; ``alias`` names it for
        `Switch Sandbox Connection`.

        | Connect To Sandbox |                           |              |
        | Connect To Sandbox | http://sandbox.local:7000 | alias=remote | timeout=2 min |
        """
        resolved = robot_setting(SANDBOX_URL, url)
        target = resolved.value or self.embedded_server().url
        where = resolved.source if resolved.value else "embedded server"
        client = Sandbox(
            target,
            timeout=seconds(timeout, self.default_timeout),
            verify=verify,
            retries=retries,
        )
        logger.info(f"connected to sandbox at {redact(client.url)} ({where})")
        return int(self.connections.register(client, alias))

    @keyword
    def switch_sandbox_connection(self, index_or_alias: str) -> int:
        """Make the connection ``index_or_alias`` current; return the previous one's index.

        | ${previous}= | Switch Sandbox Connection | remote |
        | Switch Sandbox Connection | ${previous} |
        """
        previous = self.connections.current_index
        self.connections.switch(index_or_alias)
        return int(previous) if previous is not None else 0

    @keyword
    def close_all_sandbox_connections(self) -> None:
        """Close every sandbox connection; the next keyword connects again as the first time."""
        self.connections.close_all(closer_method="close")

    @property
    def client(self) -> Sandbox:
        """The current connection, opened with the defaults if there is none yet."""
        if not self.connections:
            self.connect_to_sandbox()
        client: Sandbox = self.connections.current
        return client

    # -- executions --------------------------------------------------------------------

    def _config(
        self,
        commands: tuple[str | Mapping[str, Any], ...],
        environ: Mapping[str, Any] | None,
        from_environment: str | None,
        result_path: str | None,
        save: bool,
        timeout: timedelta | None,
    ) -> dict[str, Any]:
        items: list[Any] = list(commands)
        if timeout is not None:
            limit = seconds(timeout, 0.0)
            items = [
                {"command": item, "timeout": limit} if isinstance(item, str) else item
                for item in items
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

    @keyword
    def execute_in_sandbox(
        self,
        *commands: str | dict[str, Any],
        environment: Path | None = None,
        environ: dict[str, Any] | None = None,
        from_environment: str | None = None,
        result_path: str | None = None,
        save: bool = False,
        timeout: timedelta | None = None,
        request_timeout: timedelta | None = None,
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
        - ``timeout``: per-command time limit (the server caps each request at
          its own budget, 10 s by default). A command may also be a dictionary
          ``{"command": ..., "timeout": ...}``.
        - ``request_timeout``: how long to wait for the HTTP answer.

        A failing command does not fail this keyword; assert on the result.
        Logs a one-line summary, the answer at DEBUG and the commands as a table.

        | ${result}= | Execute In Sandbox | python3 main.py | environment=${CURDIR}/exercise |
        | ${result}= | Execute In Sandbox | -false | echo $NAME | environ=${{{"NAME": "x"}}} |
        | ${saved}=  | Execute In Sandbox | echo 1 > n.txt | save=True |
        | ${result}= | Execute In Sandbox | cat n.txt | from_environment=${saved.environment} |
        """
        config = self._config(commands, environ, from_environment, result_path, save, timeout)
        _check_upload(environment)
        result = self.client.execute(
            config, environment, timeout=seconds(request_timeout, 0.0) or None
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
        timeout: timedelta | None = None,
        request_timeout: timedelta | None = None,
    ) -> SandboxJob:
        """Start an execution in the background and return its job handle at once.

        Takes the same arguments as `Execute In Sandbox`. Wait with JobLibrary's
        `Wait For Job`; the job's result value is the execution result, which
        the assertion keywords of this library accept as well as the job.

        | ${job}=    | Start In Sandbox | sleep 1 | echo done |
        | ${result}= | Wait For Job     | ${job}  | timeout=30 s |
        | Command Stdout Should Be | ${job} | -1 | done |
        """
        config = self._config(commands, environ, from_environment, result_path, save, timeout)
        _check_upload(environment)
        job = self.client.start(
            config,
            environment,
            name=caller_id(),
            timeout=seconds(request_timeout, 0.0) or None,
        )
        self.track(job)
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

    # -- assertions --------------------------------------------------------------------

    @staticmethod
    def _execution(result: ExecutionResult | SandboxJob | JobResult) -> ExecutionResult:
        value: Any = result
        if isinstance(value, SandboxJob):
            if value.exception is not None:
                raise AssertionError(f"{value.summary()}: {value.exception}")
            value = value.execution
            if value is None:
                raise AssertionError(f"{result.summary()} has not finished; wait for it first")
        elif isinstance(value, JobResult):
            value = value.value
        if not isinstance(value, ExecutionResult):
            raise TypeError(
                "expected the result of Execute In Sandbox or a sandbox job, "
                f"got {type(result).__name__}"
            )
        return value

    def _command(
        self, result: ExecutionResult | SandboxJob | JobResult, index: int
    ) -> CommandResult:
        execution = self._execution(result)
        try:
            return execution.command(index)
        except IndexError:
            ran = ", ".join(repr(c.command) for c in execution.execution) or "none"
            raise AssertionError(
                f"no command at index {index}: the execution ran {len(execution.execution)} "
                f"command(s) ({ran}); {execution.summary()}"
            ) from None

    @keyword
    def execution_status_should_be(
        self, result: ExecutionResult | SandboxJob | JobResult, expected: str
    ) -> None:
        """Fail unless the execution's status is ``expected``.

        ``expected`` is a number (``0``, ``1``, ``-2``) or a name: ``OK``,
        ``UNKNOWN``, ``TIMEOUT``, ``RESULT_NOT_FOUND``, ``RESULT_NOT_UTF8``.

        | Execution Status Should Be | ${result} | OK |
        | Execution Status Should Be | ${result} | 127 |
        | Execution Status Should Be | ${result} | TIMEOUT |
        """
        execution = self._execution(result)
        wanted = _status_value(expected)
        if execution.status != wanted:
            raise AssertionError(
                f"expected status {wanted} ({status_name(wanted)}), got {execution.summary()}"
                + _stopped_at(execution)
            )

    @keyword
    def command_exit_code_should_be(
        self, result: ExecutionResult | SandboxJob | JobResult, index: int, expected: int
    ) -> None:
        """Fail unless the command at ``index`` exited with ``expected``.

        | Command Exit Code Should Be | ${result} | 0 | 0 |
        | Command Exit Code Should Be | ${result} | -1 | 127 |
        """
        command = self._command(result, index)
        if command.exit_code != expected:
            raise AssertionError(
                f"command {index} ({command.command!r}) exited with {command.exit_code}, "
                f"expected {expected}; stderr: {command.stderr!r}"
            )

    def _output_check(
        self,
        result: ExecutionResult | SandboxJob | JobResult,
        index: int,
        stream: str,
        expected: str,
        contains: bool,
    ) -> None:
        command = self._command(result, index)
        actual: str = getattr(command, stream)
        if (expected in actual) if contains else (actual == expected):
            return
        relation = "does not contain" if contains else "is not"
        raise AssertionError(
            f"{stream} of command {index} ({command.command!r}) {relation} {expected!r}: {actual!r}"
        )

    @keyword
    def command_stdout_should_be(
        self, result: ExecutionResult | SandboxJob | JobResult, index: int, expected: str
    ) -> None:
        """Fail unless the stdout of the command at ``index`` is exactly ``expected``.

        The sandbox strips leading and trailing whitespace from outputs.

        | Command Stdout Should Be | ${result} | -1 | hello |
        """
        self._output_check(result, index, "stdout", expected, contains=False)

    @keyword
    def command_stdout_should_contain(
        self, result: ExecutionResult | SandboxJob | JobResult, index: int, expected: str
    ) -> None:
        """Fail unless the stdout of the command at ``index`` contains ``expected``.

        | Command Stdout Should Contain | ${result} | 0 | Python 3 |
        """
        self._output_check(result, index, "stdout", expected, contains=True)

    @keyword
    def command_stderr_should_be(
        self, result: ExecutionResult | SandboxJob | JobResult, index: int, expected: str
    ) -> None:
        """Fail unless the stderr of the command at ``index`` is exactly ``expected``.

        | Command Stderr Should Be | ${result} | 0 | ${EMPTY} |
        """
        self._output_check(result, index, "stderr", expected, contains=False)

    @keyword
    def command_stderr_should_contain(
        self, result: ExecutionResult | SandboxJob | JobResult, index: int, expected: str
    ) -> None:
        """Fail unless the stderr of the command at ``index`` contains ``expected``.

        | Command Stderr Should Contain | ${result} | -1 | command not found |
        """
        self._output_check(result, index, "stderr", expected, contains=True)

    @keyword
    def execution_result_should_be(
        self, result: ExecutionResult | SandboxJob | JobResult, expected: str
    ) -> None:
        """Fail unless the text of the ``result_path`` file is exactly ``expected``.

        The server returns that text as it is (not stripped).

        | ${result}= | Execute In Sandbox | echo -n 42 > out | result_path=out |
        | Execution Result Should Be | ${result} | 42 |
        """
        execution = self._execution(result)
        if execution.result is None:
            raise AssertionError(
                f"the execution has no result text (no result_path, or it was not read): "
                f"{execution.summary()}"
            )
        if execution.result != expected:
            raise AssertionError(f"result is {execution.result!r}, expected {expected!r}")

    # -- stored environments -----------------------------------------------------------

    @keyword
    def download_sandbox_environment(self, uuid: str, destination: str) -> Path:
        """Download the stored environment ``uuid`` to ``destination``; return the path.

        If ``destination`` is an existing directory, or ends with ``/``, the
        archive is unpacked into it; otherwise it is saved as that
        ``.tar.gz`` file.

        | Download Sandbox Environment | ${result.environment} | ${OUTPUT DIR}/env/ |
        | Download Sandbox Environment | ${result.environment} | ${OUTPUT DIR}/env.tgz |
        """
        path = Path(destination)
        if path.is_dir() or destination.endswith(("/", os.sep)):
            target = self.client.extract(uuid, path)
            logger.info(f"unpacked sandbox environment {uuid} into {target}")
        else:
            target = self.client.download_to(uuid, path)
            logger.info(f"saved sandbox environment {uuid} as {target}")
        return target

    @keyword
    def download_sandbox_file(
        self,
        uuid: str,
        path: str,
        destination: Path | None = None,
        encoding: str = "UTF-8",
    ) -> str | bytes | Path:
        """Get the file ``path`` of the stored environment ``uuid``.

        With ``destination`` the file is saved there and its path returned;
        otherwise its content is returned, decoded with ``encoding``
        (``encoding=NONE`` returns bytes).

        | ${text}= | Download Sandbox File | ${uuid} | out/report.txt |
        | ${file}= | Download Sandbox File | ${uuid} | out/report.txt | ${OUTPUT DIR}/report.txt |
        """
        if destination is not None:
            return self.client.download_to(uuid, destination, path)
        data = self.client.download(uuid, path)
        return data if encoding.upper() == "NONE" else data.decode(encoding)

    @keyword
    def sandbox_environment_should_exist(self, uuid: str, path: str | None = None) -> int:
        """Fail unless the environment ``uuid`` (or the file ``path`` in it) is stored.

        Returns its size in bytes.

        | Sandbox Environment Should Exist | ${result.environment} |
        | Sandbox Environment Should Exist | ${result.environment} | data/input.txt |
        """
        size = self.client.check(uuid, path)
        if not size:
            what = f"file {path!r} in environment {uuid}" if path else f"environment {uuid}"
            raise AssertionError(f"sandbox has no {what} (or it is empty)")
        return size

    @keyword
    def sandbox_environment_should_not_exist(self, uuid: str, path: str | None = None) -> None:
        """Fail if the environment ``uuid`` (or the file ``path`` in it) is stored.

        | Sandbox Environment Should Not Exist | ${result.environment} | scratch.tmp |
        """
        size = self.client.check(uuid, path)
        if size:
            what = f"file {path!r} in environment {uuid}" if path else f"environment {uuid}"
            raise AssertionError(f"sandbox has {what} ({size} bytes)")

    # -- server information ------------------------------------------------------------

    @keyword
    def get_sandbox_specifications(self) -> dict[str, Any]:
        """Return the host's and the containers' specifications as a dictionary.

        | ${specs}= | Get Sandbox Specifications |
        | Should Be Equal As Integers | ${specs}[container][count] | 20 |
        """
        return self.client.specifications()

    @keyword
    def get_sandbox_usage(self) -> dict[str, Any]:
        """Return the host's current usage; the server samples it over about 2 seconds.

        | ${usage}= | Get Sandbox Usage |
        """
        return self.client.usage()

    @keyword
    def get_sandbox_libraries(self) -> dict[str, Any]:
        """Return the packages and binaries installed in the sandbox's containers.

        | ${libraries}= | Get Sandbox Libraries |
        """
        return self.client.libraries()

    @keyword
    def validate_sandbox_config(self, config: dict[str, Any]) -> None:
        """Fail if the sandbox would refuse or mishandle ``config``, naming the field.

        Nothing is sent. Catches what the server answers with 400, and its
        traps: extra keys in a command object, ``timeout: 0`` (no timeout at
        all) and a space before the ``-`` prefix.

        | Validate Sandbox Config | ${{{"commands": ["echo hi"]}}} |
        | Run Keyword And Expect Error | STARTS: commands[0].timeout: |
        | ... | Validate Sandbox Config | ${{{"commands": [{"command": "x", "timeout": 0}]}}} |
        """
        validate_config(config)


def _check_upload(environment: Path | None) -> None:
    """The keyword's ``environment`` must exist (the client would call it ``environ``)."""
    if environment is not None and not environment.exists():
        raise ConfigurationError(
            f"environment {str(environment)!r} is neither a directory nor a .tar.gz file "
            "(a saved environment's uuid goes into from_environment)"
        )


def _status_value(expected: str | int) -> int:
    text = str(expected).strip()
    try:
        return int(text)
    except ValueError:
        pass
    if text.upper() in ("OK", "SUCCESS"):
        return 0
    try:
        return int(SandboxErrCode[text.upper()])
    except KeyError:
        names = ", ".join(["OK", *(code.name for code in SandboxErrCode)])
        raise ConfigurationError(
            f"status must be a number or one of {names}, got {expected!r}"
        ) from None


def _stopped_at(execution: ExecutionResult) -> str:
    failed = execution.failed_command
    if failed is None or not failed.stderr:
        return ""
    return f"; stderr: {failed.stderr!r}"
