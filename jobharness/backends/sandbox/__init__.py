"""The PremierLangage sandbox backend: runs shell commands in an uploaded environment.

* :class:`Sandbox` (sync) and :class:`ASandbox` (asyncio): the whole surface
  of pl-sandbox-api, with local validation, typed results, one error tree;
* :class:`SandboxJob`: an execution as a shared :class:`~jobharness.jobs.Job`;
* :func:`validate_config`, :func:`pack_environment`, :func:`extract_environment`:
  usable on their own (an unsafe archive is an :class:`UnsafeArchive`).

Everything here is imported on first use (see :mod:`jobharness.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jobharness.lazy import lazy_exports

if TYPE_CHECKING:
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
    from jobharness.backends.sandbox.unpack import ArchiveUnreadable, UnsafeArchive

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "ASandbox": "jobharness.backends.sandbox.aclient",
        "ArchiveUnreadable": "jobharness.backends.sandbox.unpack",
        "CommandResult": "jobharness.backends.sandbox.results",
        "ExecutionResult": "jobharness.backends.sandbox.results",
        "STATUS_ERRORS": "jobharness.backends.sandbox.errors",
        "Sandbox": "jobharness.backends.sandbox.client",
        "Sandbox400": "jobharness.backends.sandbox.errors",
        "Sandbox401": "jobharness.backends.sandbox.errors",
        "Sandbox403": "jobharness.backends.sandbox.errors",
        "Sandbox404": "jobharness.backends.sandbox.errors",
        "Sandbox405": "jobharness.backends.sandbox.errors",
        "Sandbox408": "jobharness.backends.sandbox.errors",
        "Sandbox413": "jobharness.backends.sandbox.errors",
        "Sandbox429": "jobharness.backends.sandbox.errors",
        "Sandbox500": "jobharness.backends.sandbox.errors",
        "Sandbox502": "jobharness.backends.sandbox.errors",
        "Sandbox503": "jobharness.backends.sandbox.errors",
        "Sandbox504": "jobharness.backends.sandbox.errors",
        "SandboxErrCode": "jobharness.backends.sandbox.results",
        "SandboxError": "jobharness.backends.sandbox.errors",
        "SandboxJob": "jobharness.backends.sandbox.job",
        "UnsafeArchive": "jobharness.backends.sandbox.unpack",
        "extract_environment": "jobharness.backends.sandbox.environment",
        "pack_directory": "jobharness.backends.sandbox.environment",
        "pack_environment": "jobharness.backends.sandbox.environment",
        "parse_execution": "jobharness.backends.sandbox.results",
        "status_name": "jobharness.backends.sandbox.results",
        "validate_config": "jobharness.backends.sandbox.config",
    },
)

__all__ = [
    "STATUS_ERRORS",
    "ASandbox",
    "ArchiveUnreadable",
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
    "UnsafeArchive",
    "extract_environment",
    "pack_directory",
    "pack_environment",
    "parse_execution",
    "status_name",
    "validate_config",
]
