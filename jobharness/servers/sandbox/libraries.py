"""What commands can use, for ``/libraries/``: system packages, Python packages, binaries.

The real server asks a one-off container; here the answer describes the host
the commands really run on, read cheaply: the dpkg status file, the Python
distributions visible to the server's interpreter and the executables on PATH.
Perl modules and C libraries are not listed (empty objects, same keys).
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
from pathlib import Path
from typing import Any

DPKG_STATUS = Path("/var/lib/dpkg/status")


def system_packages(status_file: Path = DPKG_STATUS) -> dict[str, str]:
    """Installed dpkg packages by name (empty where there is no dpkg)."""
    try:
        text = status_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    packages = {}
    for stanza in text.split("\n\n"):
        fields = dict(
            line.split(": ", 1) for line in stanza.splitlines() if ": " in line and line[0] != " "
        )
        if fields.get("Status", "").endswith(" installed") and "Package" in fields:
            packages[fields["Package"]] = fields.get("Version", "")
    return packages


def python_packages() -> dict[str, str]:
    """Python distributions importable by the server's interpreter, by name."""
    found = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found[name] = dist.version
    return dict(sorted(found.items(), key=lambda item: item[0].lower()))


def binaries(path: str | None = None) -> list[str]:
    """Names of the executables on ``PATH``, sorted and without duplicates."""
    names: set[str] = set()
    for directory in (path if path is not None else os.environ.get("PATH", "")).split(os.pathsep):
        with contextlib.suppress(OSError), os.scandir(directory or ".") as entries:
            for entry in entries:
                with contextlib.suppress(OSError):
                    if entry.is_file() and os.access(entry.path, os.X_OK):
                        names.add(entry.name)
    return sorted(names)


def libraries() -> dict[str, Any]:
    """The ``/libraries/`` body."""
    return {
        "libraries": {
            "system": system_packages(),
            "python": python_packages(),
            "perl": {},
            "c": {},
        },
        "bin": binaries(),
    }
