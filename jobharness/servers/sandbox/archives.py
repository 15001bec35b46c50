"""Environment archives: reading, merging, safe extraction and packing.

An environment is a gzip-compressed tar. Extraction unpacks what the real
server saves (files, directories, symbolic links pointing anywhere, hard
links between its files, FIFOs) with the client's own unpacker
(:mod:`jobharness.backends.sandbox.unpack`). Unlike the real server, which
extracts whatever an archive holds wherever it says, nothing is ever
written outside the working directory or through a link, and device files
are refused: an :class:`UnsafeMember` names the member, and nothing is written.
"""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

from jobharness.backends.sandbox import unpack
from jobharness.backends.sandbox.archive_limits import ArchiveLimits
from jobharness.backends.sandbox.unpack import Member

__all__ = [
    "BadArchive",
    "Member",
    "TooLarge",
    "UnsafeMember",
    "check_members",
    "extract",
    "member_bytes",
    "merge",
    "pack",
    "read_members",
]

LINK_AND_FIFO_TYPES = (tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.FIFOTYPE)
SAVED_TYPES = frozenset({*tarfile.REGULAR_TYPES, tarfile.DIRTYPE, *LINK_AND_FIFO_TYPES})


class UnsafeMember(Exception):
    """An archive member that would be written outside the working directory or through a link."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"Unsafe archive member '{name}': {reason}")
        self.name = name
        self.reason = reason


class BadArchive(Exception):
    """An archive that is not a readable gzip-compressed tar."""


class TooLarge(Exception):
    """An archive over one of the server's limits (size, members, unpacked size)."""


def read_members(blob: bytes, limits: ArchiveLimits) -> list[Member]:
    """All members of the gzip tar ``blob``, in archive order.

    Raises :class:`BadArchive` if ``blob`` is not a gzip-compressed tar, and
    :class:`TooLarge` when it is over ``limits`` (found without unpacking more).
    """
    try:
        return unpack.read_members(blob, limits)
    except unpack.ArchiveTooLarge as exc:
        raise TooLarge(f"The environment archive is too large: {exc}") from exc
    except unpack.ArchiveUnreadable as exc:
        raise BadArchive(str(exc)) from exc


def merge(upload: list[Member], stored: list[Member]) -> list[Member]:
    """Lay ``upload`` over ``stored``: upload members first, then stored ones of other names.

    Names must be exactly equal to replace (``a.txt`` and ``./a.txt`` differ),
    as in the real server.
    """
    names = {member.info.name for member in upload}
    return [*upload, *(member for member in stored if member.info.name not in names)]


def check_members(members: list[Member]) -> None:
    """Raise :class:`UnsafeMember` for the first member that extraction would refuse."""
    try:
        unpack.plan(members)
    except unpack.UnsafeArchive as exc:
        raise UnsafeMember(exc.name, exc.reason) from None


def extract(members: list[Member], root: Path) -> None:
    """Write ``members`` under ``root`` in order (later members replace earlier ones).

    Every member is checked first, so a refused archive writes nothing.
    """
    try:
        unpack.extract_members(members, root)
    except unpack.UnsafeArchive as exc:
        raise UnsafeMember(exc.name, exc.reason) from None


def _saved(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
    """What saving keeps: all the real server keeps, but device files (extraction refuses them)."""
    return info if info.type in SAVED_TYPES else None


def pack(root: Path, destination: Path) -> None:
    """Pack the top-level entries of ``root`` (names without ``./``) into ``destination``.

    Links are kept as links, as the real server keeps them. The archive is
    written to a temporary name and moved into place, so a concurrent
    download never sees half an archive.
    """
    partial = destination.with_name(f".{destination.name}.partial")
    with tarfile.open(partial, "w:gz") as tar:
        for entry in sorted(os.listdir(root)):
            tar.add(root / entry, arcname=entry, filter=_saved)
    os.replace(partial, destination)


def member_bytes(archive: Path, name: str) -> bytes | None:
    """The bytes of the file member ``name`` of ``archive``, None if there is no such file.

    A link is read as ``tarfile`` reads it: through to the member it names,
    None when that is not in the archive. Raises :class:`IsADirectoryError`
    when ``name`` has no content (a directory, a FIFO), where the real
    server answers 500.
    """
    with tarfile.open(archive, mode="r:gz") as tar:
        try:
            extracted = tar.extractfile(tar.getmember(name))
        except KeyError:
            return None
        if extracted is None:
            raise IsADirectoryError(f"member '{name}' of {archive.name} is not a regular file")
        return extracted.read()
