"""Generate the keyword documentation of every jobharness Robot library with libdoc.

Fails (exit 1) when a library or one of its keywords has no documentation,
so an undocumented keyword cannot land.

Usage: python docs/build_keyword_docs.py OUTPUT_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

from robot.libdoc import LibraryDocumentation, libdoc

import robotlib


def undocumented(name: str) -> list[str]:
    """The parts of library ``name`` that have no documentation."""
    doc = LibraryDocumentation(f"robotlib.{name}")
    missing = [] if doc.doc.strip() else [f"{name} (library)"]
    missing += [f"{name}.{kw.name}" for kw in doc.keywords if not kw.doc.strip()]
    return missing


def main(argv: list[str]) -> int:
    """Check and write the HTML documentation of every library in ``robotlib.__all__``."""
    out = Path(argv[1] if len(argv) > 1 else "docs/keywords")
    out.mkdir(parents=True, exist_ok=True)
    missing = [part for name in robotlib.__all__ for part in undocumented(name)]
    if missing:
        print("keywords without documentation:\n  " + "\n  ".join(missing), file=sys.stderr)
        return 1
    for name in robotlib.__all__:
        status = libdoc(f"robotlib.{name}", str(out / f"{name}.html"), quiet=True)
        if status:
            return int(status)
        print(f"{name}: {out / f'{name}.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
