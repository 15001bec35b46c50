"""Assertions on an execution's result: its status, each command's exit code and output."""

from __future__ import annotations

from typing import Any

from robot.api.deco import keyword

from jobharness.backends.sandbox import (
    CommandResult,
    ExecutionResult,
    SandboxErrCode,
    SandboxJob,
    status_name,
)
from jobharness.errors import ConfigurationError
from jobharness.jobs import JobResult
from robotlib._core.library import Component


class AssertionKeywords(Component):
    """Assertions on what ``Execute In Sandbox`` returned (or a finished sandbox job)."""

    @staticmethod
    def _execution(result: ExecutionResult | SandboxJob | JobResult) -> ExecutionResult:
        value: Any = result
        if isinstance(result, SandboxJob):
            if result.exception is not None:
                raise AssertionError(f"{result.summary()}: {result.exception}")
            value = result.execution
            if value is None:
                raise AssertionError(f"{result.summary()} has not finished; wait for it first")
        elif isinstance(result, JobResult):
            value = result.value
        if not isinstance(value, ExecutionResult):
            raise ConfigurationError(
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
