"""``jobharness-docs``: the keyword documentation of the installed libraries, written and opened.

The documentation is generated with Robot's libdoc from the libraries that are
installed, so it always matches the version in use::

    jobharness-docs                      # every library, into a per-user cache; prints the paths
    jobharness-docs saltant --open       # SaltantLibrary, opened in the web browser
    jobharness-docs --output docs/keywords --check   # what ./dev.sh docs runs

``--check`` fails (exit 1) when a library or one of its keywords has no
documentation, so an undocumented keyword cannot land.
"""

from __future__ import annotations

import argparse
import os
import sys
import webbrowser
from collections.abc import Sequence
from pathlib import Path

import robotlib
from jobharness import __version__

SUFFIX = "Library"


def library_names() -> list[str]:
    """The names of every jobharness Robot library (``JobLibrary``, ``SaltantLibrary``, ...)."""
    return list(robotlib.__all__)


def resolve_name(text: str) -> str:
    """The library that ``text`` names: ``saltant``, ``Saltant`` or ``SaltantLibrary``."""
    wanted = text.strip().lower().removeprefix("robotlib.")
    for name in library_names():
        if wanted in (name.lower(), name.lower().removesuffix(SUFFIX.lower())):
            return name
    known = ", ".join(library_names())
    raise ValueError(f"no keyword library named {text!r}; the libraries are: {known}")


def undocumented(name: str) -> list[str]:
    """The parts of library ``name`` that have no documentation."""
    from robot.libdoc import LibraryDocumentation

    doc = LibraryDocumentation(f"robotlib.{name}")
    missing = [] if doc.doc.strip() else [f"{name} (library)"]
    missing += [f"{name}.{kw.name}" for kw in doc.keywords if not kw.doc.strip()]
    return missing


def default_output() -> Path:
    """Where the documentation goes without ``--output``: a per-user cache, one per version."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "jobharness" / "keywords" / __version__


def build(names: Sequence[str], output: Path) -> list[Path]:
    """Write the HTML documentation of the libraries ``names`` into ``output``; their paths."""
    from robot.libdoc import libdoc

    output.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names:
        path = output / f"{name}.html"
        status = libdoc(f"robotlib.{name}", str(path), quiet=True)
        if status:
            raise RuntimeError(f"libdoc could not document robotlib.{name} (status {status})")
        written.append(path)
    return written


def parser() -> argparse.ArgumentParser:
    """The command-line options of ``jobharness-docs``."""
    parse = argparse.ArgumentParser(
        prog="jobharness-docs",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parse.add_argument(
        "libraries", nargs="*", metavar="LIBRARY", help="libraries to document (default: all)"
    )
    parse.add_argument("--output", type=Path, help="directory to write into")
    parse.add_argument("--open", action="store_true", help="open the pages in the web browser")
    parse.add_argument("--check", action="store_true", help="fail on undocumented keywords")
    parse.add_argument("--list", action="store_true", help="list the libraries and exit")
    return parse


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``jobharness-docs``."""
    args = parser().parse_args(argv)
    if args.list:
        print("\n".join(library_names()))
        return 0
    try:
        names = [resolve_name(text) for text in args.libraries] or library_names()
    except ValueError as exc:
        print(f"jobharness-docs: {exc}", file=sys.stderr)
        return 2
    if args.check:
        missing = [part for name in names for part in undocumented(name)]
        if missing:
            print("keywords without documentation:\n  " + "\n  ".join(missing), file=sys.stderr)
            return 1
    for path in build(names, args.output or default_output()):
        print(f"{path.stem}: {path}")
        if args.open:
            webbrowser.open(path.resolve().as_uri())
    return 0


if __name__ == "__main__":
    sys.exit(main())
