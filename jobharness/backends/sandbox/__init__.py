"""The PremierLangage sandbox backend: runs shell commands in an uploaded environment.

* :class:`Sandbox` (sync) and :class:`ASandbox` (asyncio): the whole surface
  of pl-sandbox-api, with local validation, typed results, one error tree;
* :class:`SandboxJob`: an execution as a shared :class:`~jobharness.jobs.Job`;
* :func:`validate_config`, :func:`pack_environment`: usable on their own.
"""

from jobharness.backends.sandbox.aclient import ASandbox
from jobharness.backends.sandbox.client import Sandbox
from jobharness.backends.sandbox.config import validate_config
from jobharness.backends.sandbox.environment import (
    extract_environment,
    pack_directory,
    pack_environment,
)
from jobharness.backends.sandbox.errors import (
    STATUS_ERRORS,
    Sandbox400,
    Sandbox401,
    Sandbox403,
    Sandbox404,
    Sandbox405,
    Sandbox408,
    Sandbox413,
    Sandbox429,
    Sandbox500,
    Sandbox502,
    Sandbox503,
    Sandbox504,
    SandboxError,
)
from jobharness.backends.sandbox.job import SandboxJob
from jobharness.backends.sandbox.results import (
    CommandResult,
    ExecutionResult,
    SandboxErrCode,
    parse_execution,
    status_name,
)

__all__ = [
    "STATUS_ERRORS",
    "ASandbox",
    "CommandResult",
    "ExecutionResult",
    "Sandbox",
    "Sandbox400",
    "Sandbox401",
    "Sandbox403",
    "Sandbox404",
    "Sandbox405",
    "Sandbox408",
    "Sandbox413",
    "Sandbox429",
    "Sandbox500",
    "Sandbox502",
    "Sandbox503",
    "Sandbox504",
    "SandboxErrCode",
    "SandboxError",
    "SandboxJob",
    "extract_environment",
    "pack_directory",
    "pack_environment",
    "parse_execution",
    "status_name",
    "validate_config",
]
