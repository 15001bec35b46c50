"""Run ids in Robot: the run's id in every job name, and the ``Reap Run`` keyword.

The run id comes from the environment variable ``JOBHARNESS_RUN_ID``, else
the Robot variable ``${JOBHARNESS_RUN_ID}`` (``--variable
JOBHARNESS_RUN_ID:nightly-42``, or JobLibrary's ``run_id`` argument), else a CI job id, else pabot's
``${CALLER_ID}`` (one per pabot process), else an id generated for the
process; see :mod:`jobharness.runid`.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
from datetime import timedelta
from typing import Any

from robot.api import logger
from robot.api.deco import keyword
from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError

from jobharness.errors import JobHarnessError
from jobharness.reap import DEFAULT_REAP_TIMEOUT, ReapResult, reap
from jobharness.runid import RUN_ID, RunId, check_run_id, detect_run_id, job_name
from robotlib._core.conversions import robot_setting, seconds
from robotlib._core.library import Component

_JOB_NUMBERS = itertools.count(1)
"""Numbers the job names of this process, so two jobs of one test never share a name."""


def _variables() -> dict[str, Any]:
    try:
        return dict(BuiltIn().get_variables())
    except RobotNotRunningError:
        return {}


def robot_run_id() -> RunId:
    """This run's id (see the module docstring)."""
    variables = _variables()
    variable = "${" + RUN_ID.name.upper() + "}"
    given = None if os.environ.get(RUN_ID.env[0]) else variables.get(variable)
    return detect_run_id(
        str(given) if given else None,
        f"Robot variable {variable}",
        runner_id=variables.get("${CALLER_ID}"),
        runner_source="pabot ${CALLER_ID}",
    )


def set_run_id(value: str) -> None:
    """Make ``value`` this run's id: the global ``${JOBHARNESS_RUN_ID}`` every library reads.

    The environment variable ``JOBHARNESS_RUN_ID``, when set, still wins.
    """
    run_id = check_run_id(value, "JobLibrary run_id")
    with contextlib.suppress(RobotNotRunningError):
        BuiltIn().set_global_variable("${" + RUN_ID.name.upper() + "}", run_id)


def job_caller(limit: int = 80) -> str:
    """``<run id>/robot-<pabot pool or pid>-<test name>#<n>``: a new one for each job.

    The test name is shortened from the left to fit ``limit``, the run id never.
    """
    variables = _variables()
    pool = variables.get("${PABOTEXECUTIONPOOLID}") or str(os.getpid())
    name = variables.get("${TEST NAME}") or variables.get("${SUITE NAME}") or ""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", str(name)).strip("-")
    caller = f"robot-{pool}-{slug}#{next(_JOB_NUMBERS)}"
    return job_name(robot_run_id().value, caller, limit=limit)


class RunKeywords(Component):
    """Keywords on run ids: which run this is, and reaping what a run left behind."""

    @keyword
    def get_run_id(self) -> str:
        """Return this run's id, the one every job name carries.

        It comes from the ``JOBHARNESS_RUN_ID`` environment variable, the
        ``${JOBHARNESS_RUN_ID}`` variable, a CI job id, pabot's caller id or
        is generated; ``jobharness reap <id>`` cancels what the run left.
        """
        found = robot_run_id()
        logger.info(f"run id {found.value} ({found.source})")
        return found.value

    @keyword
    def reap_run(
        self, run_id: str, timeout: timedelta = timedelta(seconds=DEFAULT_REAP_TIMEOUT)
    ) -> ReapResult:
        """Cancel what the run ``run_id`` left on every configured server; log what was found.

        Servers are configured as for the backend libraries (environment
        variables, Robot variables such as ``${SALTANT_URL}``). Each backend
        reports what it found, cancelled and found already finished; one
        that cannot list jobs says so. Fails if a backend met an error.
        Returns the result: ``${result.cancelled}`` counts the cancelled jobs.

        | Reap Run | nightly-41 |
        """
        try:
            result = reap(run_id, robot_setting, timeout=seconds(timeout, DEFAULT_REAP_TIMEOUT))
        except JobHarnessError as exc:
            raise AssertionError(str(exc)) from None
        for line in result.lines():
            logger.info(line)
        if not result.ok:
            errors = [error for report in result.reports for error in report.errors]
            raise AssertionError(f"reaping run {run_id} met errors: " + "; ".join(errors))
        return result
