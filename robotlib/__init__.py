"""Robot Framework keyword libraries of jobharness.

Import them as ``Library    robotlib.JobLibrary`` (and ``robotlib.SandboxLibrary``,
``robotlib.SaltantLibrary``, ``robotlib.HarpLibrary``, ...).
"""

from robotlib.harp import HarpLibrary
from robotlib.jobs import JobLibrary
from robotlib.saltant import SaltantLibrary
from robotlib.sandbox import SandboxLibrary

__all__ = [
    "HarpLibrary",
    "JobLibrary",
    "SaltantLibrary",
    "SandboxLibrary",
]
