"""Files only this user may read: passwords, tokens, logins and the ready files that hold them."""

from __future__ import annotations

import os
from pathlib import Path


def write_private(path: str | Path, text: str, mode: int = 0o600) -> None:
    """Write ``text`` to ``path``, created with ``mode`` (and set to it if it existed).

    The file never exists with a wider mode, not even for a moment.
    """
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(text)
    os.chmod(path, mode)


def replace_private(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (through ``path.tmp``), readable by this user only."""
    tmp = f"{path}.tmp"
    write_private(tmp, text)
    os.replace(tmp, path)


__all__ = ["replace_private", "write_private"]
