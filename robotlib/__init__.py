"""Robot Framework keyword libraries of jobharness.

Import them as ``Library    robotlib.JobLibrary`` (and ``robotlib.SandboxLibrary``,
``robotlib.SaltantLibrary``, ``robotlib.HarpLibrary``, ``robotlib.TerminalLibrary``, ...).
Each library is imported only when a suite uses it, so a run pays only for its backends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jobharness.lazy import lazy_exports

if TYPE_CHECKING:
    from robotlib.densefog import DensefogLibrary
    from robotlib.harp import HarpLibrary
    from robotlib.jobs import JobLibrary
    from robotlib.saltant import SaltantLibrary
    from robotlib.sandbox import SandboxLibrary
    from robotlib.terminal import TerminalLibrary

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "DensefogLibrary": "robotlib.densefog",
        "HarpLibrary": "robotlib.harp",
        "JobLibrary": "robotlib.jobs",
        "SaltantLibrary": "robotlib.saltant",
        "SandboxLibrary": "robotlib.sandbox",
        "TerminalLibrary": "robotlib.terminal",
    },
)

__all__ = [
    "DensefogLibrary",
    "HarpLibrary",
    "JobLibrary",
    "SaltantLibrary",
    "SandboxLibrary",
    "TerminalLibrary",
]
