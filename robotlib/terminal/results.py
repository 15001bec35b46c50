"""What the command keywords return: crl's ``RunResult``, and how a result is logged."""

from __future__ import annotations

from typing import NamedTuple

from robot.api import logger

from jobharness.backends.terminal import CommandResult
from jobharness.redaction import Redactor
from robotlib._core.logging import BODY_LIMIT


class RunResult(NamedTuple):
    """How a command ended: ``status``, ``stdout`` and ``stderr``, as crl's RemoteRunner gives them.

    ``status`` is text (``"0"``, ``"-15"`` after SIGTERM), so ``Should Be
    Equal    ${result.status}    0`` works as it did with crl; ``code`` is
    the same as a number (``None`` when unknown). ``stdout`` and ``stderr``
    have their trailing line ends removed. It unpacks like crl's namedtuple.
    """

    status: str
    stdout: str
    stderr: str

    @property
    def code(self) -> int | None:
        """The status as a number (``None`` when it is not known)."""
        text = self.status.strip()
        return int(text) if text.lstrip("-").isdigit() else None

    @classmethod
    def of(cls, result: CommandResult, redact: Redactor | None = None) -> RunResult:
        """crl's shape of ``result`` (secrets in the output masked by ``redact``)."""
        mask = redact or (lambda text: text)
        return cls(
            status=str(result.status),
            stdout=mask(result.stdout).rstrip("\r\n"),
            stderr=mask(result.stderr).rstrip("\r\n"),
        )

    @classmethod
    def ok(cls) -> RunResult:
        """What crl's copy keywords return: status ``"0"``, no output."""
        return cls("0", "", "")

    def __str__(self) -> str:
        return (
            f"\n exit status:   {self.status}\n stdout:\n {self.stdout}\n stderr:\n {self.stderr}\n"
        )


def log_run(what: str, result: RunResult) -> None:
    """One line at INFO (status), the outputs at DEBUG, truncated."""
    logger.info(f"{what}: status {result.status}")
    for name, text in (("stdout", result.stdout), ("stderr", result.stderr)):
        if text:
            shown = text if len(text) <= BODY_LIMIT else text[:BODY_LIMIT] + "..."
            logger.debug(f"{name}:\n{shown}")
