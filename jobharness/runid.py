"""Run ids: one id per test run, carried by the name of every job the run starts.

A run id lets ``jobharness reap RUN_ID`` find what a crashed or killed run
left on a server. It is chosen in this order:

1. an explicit value: the pytest option ``--jobharness-run-id``, the Robot
   variable ``${JOBHARNESS_RUN_ID}``;
2. the environment variable ``JOBHARNESS_RUN_ID``;
3. a CI job id: GitLab's ``CI_JOB_ID``, GitHub's ``GITHUB_RUN_ID`` (with
   ``GITHUB_RUN_ATTEMPT``), Jenkins' ``BUILD_TAG``;
4. the run's own id given by the runner: pytest-xdist's test run uid (the
   same on every worker), pabot's ``${CALLER_ID}`` (one per pabot process:
   set ``JOBHARNESS_RUN_ID`` to give a whole pabot run one id);
5. an id generated once per process (``jh-`` and 10 hex digits).

A job's name carries ``@<run id>/`` or starts with ``<run id>/`` (see
:func:`job_name`), so a reaper can tell which run started it.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from jobharness.errors import ConfigurationError
from jobharness.settings import Setting

RUN_ID = Setting(
    "jobharness_run_id",
    "the id of this run, carried by every job name, for `jobharness reap RUN_ID` "
    "(default: the CI job id, the runner's run id, or a generated one)",
    env=("JOBHARNESS_RUN_ID",),
)

MAX_LENGTH = 48
"""The longest run id; longer CI ids are shortened from the left."""

_VALID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_INVALID_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")
_GENERATED = f"jh-{secrets.token_hex(5)}"


@dataclass(frozen=True)
class RunId:
    """A run id and where it came from (``env JOBHARNESS_RUN_ID``, ``generated`` ...)."""

    value: str
    source: str

    def __str__(self) -> str:
        return self.value


def check_run_id(value: str, where: str = "run id") -> str:
    """``value`` if it is a valid run id; else a :class:`ConfigurationError` saying why."""
    text = str(value)
    if not text or len(text) > MAX_LENGTH or not _VALID.match(text):
        raise ConfigurationError(
            f"{where}: {text!r} is not a valid run id: use 1 to {MAX_LENGTH} letters, "
            "digits, '_', '.' or '-', starting with a letter or digit"
        )
    return text


def _cleaned(value: str) -> str:
    """A runner's or CI's id made valid: other characters become ``-``, long ones cut."""
    text = _INVALID_CHARS.sub("-", value).strip("-._")
    return text[-MAX_LENGTH:].lstrip("-._") or "x"


def _ci_run_id(env: Mapping[str, str]) -> RunId | None:
    if env.get("CI_JOB_ID"):
        return RunId(_cleaned(f"gl-{env['CI_JOB_ID']}"), "env CI_JOB_ID")
    if env.get("GITHUB_RUN_ID"):
        attempt = env.get("GITHUB_RUN_ATTEMPT") or "1"
        return RunId(_cleaned(f"gh-{env['GITHUB_RUN_ID']}-{attempt}"), "env GITHUB_RUN_ID")
    if env.get("BUILD_TAG"):
        return RunId(_cleaned(env["BUILD_TAG"]), "env BUILD_TAG")
    return None


def detect_run_id(
    explicit: str | None = None,
    explicit_source: str = "argument",
    environ: Mapping[str, str] | None = None,
    runner_id: str | None = None,
    runner_source: str = "runner",
) -> RunId:
    """This run's id, by the order in the module docstring.

    ``runner_id`` is the runner's own run id (xdist's test run uid, pabot's
    caller id) when the adapter knows one.
    """
    env = os.environ if environ is None else environ
    if explicit:
        return RunId(check_run_id(explicit, explicit_source), explicit_source)
    if env.get(RUN_ID.env[0]):
        name = RUN_ID.env[0]
        return RunId(check_run_id(env[name], f"env {name}"), f"env {name}")
    ci = _ci_run_id(env)
    if ci is not None:
        return ci
    if runner_id:
        return RunId(_cleaned(runner_id), runner_source)
    return RunId(_GENERATED, "generated")


def generated_run_id() -> str:
    """The id generated for this process (the last resort of :func:`detect_run_id`)."""
    return _GENERATED


def job_name(run_id: str, caller: str, label: str = "", limit: int = 200) -> str:
    """A job name that carries ``run_id`` whatever ``limit`` cuts.

    ``<label>@<run id>/<caller>``, or ``<run id>/<caller>`` without a label.
    The caller is shortened from the left (``...`` marks the cut), then the
    label from the right; the run id is never cut.
    """
    head = f"{label}@{run_id}/" if label else f"{run_id}/"
    room = limit - len(head)
    if room < 8:
        head = f"{label[: max(0, len(label) + room - 8)]}@{run_id}/" if label else head
        room = limit - len(head)
    if len(caller) > room:
        caller = "..." + caller[-(room - 3) :] if room > 3 else caller[-max(room, 0) :]
    return head + caller


def carries_run_id(name: str, run_id: str) -> bool:
    """Whether the job name ``name`` (made by :func:`job_name`) carries ``run_id``."""
    return name.startswith(f"{run_id}/") or f"@{run_id}/" in name
