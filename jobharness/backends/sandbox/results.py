"""Typed views of an ``/execute/`` answer: :class:`ExecutionResult` and :class:`CommandResult`.

An answer whose shape the protocol does not allow is a
:class:`~jobharness.errors.ProtocolError`, never a ``KeyError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, unique
from typing import Any

from jobharness.errors import ProtocolError
from jobharness.jobs import JobState
from jobharness.redaction import snippet


@unique
class SandboxErrCode(IntEnum):
    """The negative ``status`` values of an execution (the names pl-sandbox-api uses)."""

    UNKNOWN = -1
    TIMEOUT = -2
    RESULT_NOT_FOUND = -3
    RESULT_NOT_UTF8 = -4


UNKNOWN_CAUSES = (
    "status -1 means the sandbox could not run a command or read its output: either the "
    "container was removed under the request (the command never started; if the commands "
    "are safe to run twice, repeat_unknown sends the request again) or the command wrote "
    "output that is not UTF-8 (the command did run)"
)
"""Why an execution can end with status -1: the two causes, which look alike."""


def status_name(status: int) -> str:
    """``OK`` for 0, the :class:`SandboxErrCode` name for -1..-4, ``EXIT_<n>`` otherwise."""
    if status == 0:
        return "OK"
    try:
        return SandboxErrCode(status).name
    except ValueError:
        return f"EXIT_{status}"


@dataclass(frozen=True)
class CommandResult:
    """One command as the sandbox ran it (``command`` without its ``-`` prefix)."""

    command: str
    exit_code: int
    stdout: str
    stderr: str
    time: float

    @property
    def ok(self) -> bool:
        """True when the command exited with 0."""
        return self.exit_code == 0

    @property
    def timed_out(self) -> bool:
        """True when the sandbox stopped the command at its timeout (exit code -2)."""
        return self.exit_code == SandboxErrCode.TIMEOUT


@dataclass(frozen=True)
class ExecutionResult:
    """The answer to one execution.

    ``status`` is 0 on success, the exit code of the command that stopped the
    run, or a :class:`SandboxErrCode`. ``execution`` lists only the commands
    that ran. ``result`` is the text of ``result_path`` (when asked and read),
    ``environment`` and ``expire`` are set when the config had ``save: true``.
    ``raw`` keeps the JSON as it came. ``repeats`` counts how often the
    request was sent again after a status -1 (``repeat_unknown``); this is
    the last answer.
    """

    status: int
    execution: tuple[CommandResult, ...]
    total_time: float
    result: str | None = None
    environment: str | None = None
    expire: datetime | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    repeats: int = field(default=0, compare=False)

    @property
    def ok(self) -> bool:
        """True when the status is 0 (failures of ``-`` commands are ignored by the server)."""
        return self.status == 0

    @property
    def status_name(self) -> str:
        """The name of :attr:`status` (see :func:`status_name`)."""
        return status_name(self.status)

    @property
    def failed_command(self) -> CommandResult | None:
        """The command that stopped the run, or None.

        Also set when a ``-3``/``-4`` status hides the real failure of the last command.
        """
        if self.status != 0 and self.execution and not self.execution[-1].ok:
            return self.execution[-1]
        return None

    @property
    def job_state(self) -> JobState:
        """The shared job state: succeeded, failed, or error for an internal error (-1)."""
        if self.status == 0:
            return JobState.SUCCEEDED
        if self.status == SandboxErrCode.UNKNOWN:
            return JobState.ERROR
        return JobState.FAILED

    def command(self, index: int) -> CommandResult:
        """The command at ``index`` (negative counts from the end); IndexError if none."""
        return self.execution[index]

    def summary(self) -> str:
        """One line: status, commands run, time, the saved environment, and what -1 means."""
        text = (
            f"sandbox execution {self.status_name} (status {self.status}): "
            f"{len(self.execution)} command(s) in {self.total_time:.3f} s"
        )
        failed = self.failed_command
        if failed is not None:
            text += f"; stopped at {failed.command!r} (exit {failed.exit_code})"
        if self.environment:
            text += f"; saved environment {self.environment}"
        if self.repeats:
            text += f"; after {self.repeats} repeat(s) on status -1"
        if self.status == SandboxErrCode.UNKNOWN:
            text += f"; {UNKNOWN_CAUSES}"
        return text


def _require(data: Mapping[str, Any], key: str, types: tuple[type, ...], where: str) -> Any:
    value = data.get(key)
    if not isinstance(value, types) or isinstance(value, bool):
        raise ValueError(f"{where}{key} is {snippet(repr(value), 60)}")
    return value


def _command(data: object, index: int) -> CommandResult:
    if not isinstance(data, Mapping):
        raise ValueError(f"execution[{index}] is not an object")
    where = f"execution[{index}]."
    return CommandResult(
        command=_require(data, "command", (str,), where),
        exit_code=_require(data, "exit_code", (int,), where),
        stdout=_require(data, "stdout", (str,), where),
        stderr=_require(data, "stderr", (str,), where),
        time=float(_require(data, "time", (int, float), where)),
    )


def _optional(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{key} is {snippet(repr(value), 60)}")
    return value


def parse_execution(data: object, url: str | None = None) -> ExecutionResult:
    """Build an :class:`ExecutionResult` from decoded JSON, or raise ProtocolError."""
    try:
        if not isinstance(data, Mapping):
            raise ValueError(f"the answer is a {type(data).__name__}, not an object")
        commands = data.get("execution")
        if not isinstance(commands, list):
            raise ValueError("execution is not a list")
        expire = _optional(data, "expire")
        return ExecutionResult(
            status=_require(data, "status", (int,), ""),
            execution=tuple(_command(item, i) for i, item in enumerate(commands)),
            total_time=float(_require(data, "total_time", (int, float), "")),
            result=_optional(data, "result"),
            environment=_optional(data, "environment"),
            expire=datetime.fromisoformat(expire) if expire else None,
            raw=data,
        )
    except ValueError as exc:
        text = snippet(repr(data))
        raise ProtocolError(
            f"POST {url or '/execute/'}: sandbox answered an execution result the protocol "
            f"does not allow ({exc}): {text}",
            url=url,
            snippet=text,
        ) from None
