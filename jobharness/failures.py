"""Failure texts that explain themselves: which job, in which state, its exit code and output.

Every failure a wait or an assertion raises names the job (backend, id,
name), its state in both words and, where the backend has them, its exit
code (:meth:`~jobharness.jobs.Job.exit_code`) and the last lines of its
output (:meth:`~jobharness.jobs.Job.failure_output`). Reading the output may
ask the server; it gets :data:`OUTPUT_TIMEOUT` of its own, and a failure to
read it is said in the text instead of hiding the failure being reported.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from jobharness.deadline import Deadline, bounded
from jobharness.errors import JobHarnessError

if TYPE_CHECKING:
    from jobharness.jobs import Job, JobResult

TAIL_LINES = 20
"""Lines of output a failure text shows (the last ones)."""
TAIL_CHARS = 3000
"""Characters of output a failure text shows at most (the last ones)."""
OUTPUT_TIMEOUT = 3.0
"""Seconds reading a job's output for a failure text may take."""


def tail(text: str, lines: int = TAIL_LINES, chars: int = TAIL_CHARS) -> tuple[str, int]:
    """The last ``lines`` lines of ``text`` (at most ``chars`` characters) and how many were cut."""
    all_lines = text.rstrip("\n").splitlines()
    kept = all_lines[-lines:] if lines > 0 else []
    shown = "\n".join(kept)
    if len(shown) > chars:
        shown = "..." + shown[-chars:]
    return shown, len(all_lines) - len(kept)


def identify(job: Job) -> str:
    """``saltant job 1f2e... 'name'``: the backend, the id and the name when there is one."""
    name = f" {job.name!r}" if job.name else ""
    return f"{job.backend} job {job.id}{name}"


def state_words(state: str, native: str) -> str:
    """``failed (native 'exited')``: the state in both words."""
    return f"{state} (native {native!r})"


def output_block(text: str | None, lines: int = TAIL_LINES) -> str:
    """The indented tail of ``text`` under a heading that says how much is shown; "" for none."""
    if not text or not text.strip():
        return ""
    shown, cut = tail(text, lines)
    heading = f"output (last {lines} lines):" if cut else "output:"
    return "\n" + heading + "\n" + textwrap.indent(shown, "    ")


def read_output(job: Job, timeout: float = OUTPUT_TIMEOUT) -> str | None:
    """The job's failure output within ``timeout`` seconds; a note when it cannot be read."""
    if timeout <= 0:
        return "(output not read: no time left)"
    try:
        with bounded(Deadline(timeout, "reading the output")):
            return job.failure_output()
    except JobHarnessError as exc:
        return f"(output unavailable: {exc})"
    except OSError as exc:
        return f"(output unavailable: {type(exc).__name__}: {exc})"


def describe_job(
    job: Job,
    *,
    lines: int = TAIL_LINES,
    error: str | None = None,
    output_timeout: float = OUTPUT_TIMEOUT,
) -> str:
    """The job's summary (backend, id, name, state and native state), its exit code and
    error, then the tail of its output (read within ``output_timeout`` seconds)."""
    text = job.summary()
    code = job.exit_code()
    if code is not None:
        text += f", exit code {code}"
    if error:
        text += f": {error}"
    return text + output_block(read_output(job, output_timeout), lines)


def describe_ending(result: JobResult, job: Job | None) -> str:
    """Why a job that should have succeeded did not: ``... ended failed (native ...)``."""
    who = identify(job) if job is not None else f"{result.backend} job {result.job_id}"
    text = f"{who} ended {state_words(result.state.value, result.native_state)}"
    code = job.exit_code() if job is not None else None
    if code is not None:
        text += f", exit code {code}"
    if result.error:
        text += f": {result.error}"
    output = read_output(job) if job is not None else result.output
    return text + output_block(output)


__all__ = [
    "OUTPUT_TIMEOUT",
    "TAIL_CHARS",
    "TAIL_LINES",
    "describe_ending",
    "describe_job",
    "identify",
    "output_block",
    "read_output",
    "state_words",
    "tail",
]
