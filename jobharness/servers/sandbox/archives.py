"""Environment archives: reading, merging, safe extraction and packing.

An environment is a gzip-compressed tar. Unlike the real server, which
extracts whatever an archive holds, extraction here accepts only regular
files and directories with relative paths free of ``..``: anything else is
refused with an :class:`UnsafeMember` error naming the member, and nothing is
ever written outside the working directory.
"""

from __future__ import annotations

import io
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath


class UnsafeMember(Exception):
    """An archive member that would escape the working directory or is not a file/directory."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"Unsafe archive member '{name}': {reason}")
        self.name = name
        self.reason = reason


class BadArchive(Exception):
    """An archive that is not a readable gzip-compressed tar."""


@dataclass(frozen=True)
class Member:
    """One archive member, already read: its tar header and, for a file, its bytes."""

    info: tarfile.TarInfo
    data: bytes | None


def read_members(blob: bytes) -> list[Member]:
    """All members of the gzip tar ``blob``, in archive order.

    Raises :class:`BadArchive` if ``blob`` is not a gzip-compressed tar.
    """
    try:
        with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
            members = []
            for info in tar.getmembers():
                data = None
                if info.isreg():
                    extracted = tar.extractfile(info)
                    data = extracted.read() if extracted is not None else b""
                members.append(Member(info, data))
            return members
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BadArchive(f"not a gzip-compressed tar archive: {exc}") from exc


def merge(upload: list[Member], stored: list[Member]) -> list[Member]:
    """Lay ``upload`` over ``stored``: upload members first, then stored ones of other names.

    Names must be exactly equal to replace (``a.txt`` and ``./a.txt`` differ),
    as in the real server.
    """
    names = {member.info.name for member in upload}
    return [*upload, *(member for member in stored if member.info.name not in names)]


def safe_relative_path(info: tarfile.TarInfo) -> PurePosixPath:
    """The member's path relative to the working directory, or :class:`UnsafeMember`."""
    name = info.name
    if info.issym():
        raise UnsafeMember(name, "symbolic links are not allowed")
    if info.islnk():
        raise UnsafeMember(name, "hard links are not allowed")
    if not (info.isreg() or info.isdir()):
        raise UnsafeMember(name, "only regular files and directories are allowed")
    path = PurePosixPath(name)
    if path.is_absolute() or name.startswith("/"):
        raise UnsafeMember(name, "absolute paths are not allowed")
    if ".." in path.parts:
        raise UnsafeMember(name, "'..' is not allowed in a path")
    return path


def check_members(members: list[Member]) -> None:
    """Raise :class:`UnsafeMember` for the first member that extraction would refuse."""
    for member in members:
        safe_relative_path(member.info)


def _inside(root: Path, target: Path) -> Path:
    resolved = target.resolve()
    if resolved != root and root not in resolved.parents:
        raise UnsafeMember(str(target.relative_to(root)), "it resolves outside the directory")
    return resolved


def extract(members: list[Member], root: Path) -> None:
    """Write ``members`` under ``root`` in order (later members overwrite earlier ones).

    Every member is checked first, so a refused archive writes nothing.
    """
    check_members(members)
    root = root.resolve()
    for member in members:
        relative = safe_relative_path(member.info)
        target = _inside(root, root / relative)
        mode = member.info.mode & 0o777
        if member.info.isdir():
            target.mkdir(parents=True, exist_ok=True)
            os.chmod(target, mode | 0o700)
            continue
        _inside(root, target.parent).mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(target, flags, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(member.data or b"")
        os.chmod(target, mode | 0o600)
        os.utime(target, (member.info.mtime, member.info.mtime))


def _regular_or_dir(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
    return info if info.isreg() or info.isdir() else None


def pack(root: Path, destination: Path) -> None:
    """Pack the top-level entries of ``root`` (names without ``./``) into ``destination``.

    Symbolic links and special files are left out, since extraction refuses
    them. The archive is written to a temporary name and moved into place, so
    a concurrent download never sees half an archive.
    """
    partial = destination.with_name(f".{destination.name}.partial")
    with tarfile.open(partial, "w:gz") as tar:
        for entry in sorted(os.listdir(root)):
            tar.add(root / entry, arcname=entry, filter=_regular_or_dir)
    os.replace(partial, destination)


def member_bytes(archive: Path, name: str) -> bytes | None:
    """The bytes of the file member ``name`` of ``archive``, None if there is no such member.

    Raises :class:`IsADirectoryError` when ``name`` is not a regular file (the
    real server answers 500 there).
    """
    with tarfile.open(archive, mode="r:gz") as tar:
        try:
            info = tar.getmember(name)
        except KeyError:
            return None
        extracted = tar.extractfile(info) if info.isreg() else None
        if extracted is None:
            raise IsADirectoryError(f"member '{name}' of {archive.name} is not a regular file")
        return extracted.read()
