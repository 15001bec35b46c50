"""Unpacking environment archives as the real sandbox saves them, never writing outside.

The real server packs a working directory with Python's ``tarfile``: files,
directories, symbolic links pointing anywhere (``ln -s /etc/hostname host``),
hard links between its files, FIFOs. All of that is unpacked here, as it is.

Refused, before anything is written, is only what would write outside the
destination or through a link: a name that is absolute or goes up with
``..``, a member below a symbolic link (of the archive or already in the
destination), a hard link to anything but a file of the archive, and device
files. A link may point anywhere: it is created, never followed.

Writing never follows a link either: each directory on the way is opened
from the one above it with ``O_NOFOLLOW``, so a link that appears in the
destination meanwhile stops the extraction instead of redirecting it. When
anything goes wrong, what this extraction created is removed again.

The embedded sandbox server unpacks uploads with the same code.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import shutil
import stat
import tarfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NamedTuple

from jobharness.backends.sandbox.archive_limits import (
    CLIENT_LIMITS,
    gunzip,
)
from jobharness.backends.sandbox.archive_limits import ArchiveLimits as ArchiveLimits
from jobharness.backends.sandbox.archive_limits import ArchiveTooLarge as ArchiveTooLarge
from jobharness.backends.sandbox.archive_limits import ArchiveUnreadable as ArchiveUnreadable
from jobharness.errors import ConfigurationError, ProtocolError

Kind = Literal["dir", "file", "symlink", "hardlink", "fifo"]
Parts = tuple[str, ...]

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
_DEVICES = {tarfile.CHRTYPE: "a character device", tarfile.BLKTYPE: "a block device"}
_WORDS: dict[Kind, str] = {
    "dir": "directory",
    "file": "file",
    "symlink": "symbolic link",
    "hardlink": "hard link",
    "fifo": "FIFO",
}


class UnsafeArchive(ProtocolError):
    """An archive member that would be written outside the destination or through a link.

    ``name`` is the member's name as the archive gives it, ``reason`` why it
    is refused. Nothing was written.
    """

    def __init__(
        self,
        name: str,
        reason: str,
        destination: str | os.PathLike[str] = "",
        what: str = "the environment",
        url: str | None = None,
    ) -> None:
        self.name = name
        self.reason = reason
        where = f" into {str(destination)!r}" if destination else ""
        super().__init__(
            f"cannot extract {what}{where}: archive member '{name}': {reason}; "
            "nothing was extracted",
            url=url,
        )


class Member(NamedTuple):
    """One archive member, already read: its tar header and, for a file, its bytes."""

    info: tarfile.TarInfo
    data: bytes | None


@dataclass(frozen=True)
class Entry:
    """A member as it will be written: its clean path, its kind and what it holds."""

    name: str
    path: Parts
    kind: Kind
    mode: int = 0o644
    mtime: float = 0.0
    data: bytes = b""
    target: str = ""
    """A symbolic link's target as it is, or the path of a hard link's file."""


def read_members(blob: bytes, limits: ArchiveLimits = CLIENT_LIMITS) -> list[Member]:
    """Every member of the tar.gz ``blob``, in archive order, with the bytes of its files.

    Raises :class:`ArchiveUnreadable` when ``blob`` is not a usable gzip-compressed tar,
    :class:`ArchiveTooLarge` when it is over one of ``limits``.
    """
    if len(blob) > limits.archive_bytes:
        raise ArchiveTooLarge(
            f"{len(blob)} bytes long, more than {limits.archive_bytes} (the limit of "
            "archive_bytes)",
            "archive_bytes",
        )
    try:
        raw = gunzip(blob, limits.unpacked_bytes)
    except (OSError, EOFError, zlib.error) as exc:
        raise ArchiveUnreadable(
            f"not a usable tar.gz archive (the gzip data is damaged or cut: {exc})"
        ) from None
    try:
        with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as archive:
            members: list[Member] = []
            for info in archive:
                if len(members) >= limits.members:
                    raise ArchiveTooLarge(
                        f"it holds more than {limits.members} members (the limit of members)",
                        "members",
                    )
                data = None
                if info.isreg():
                    extracted = archive.extractfile(info)
                    data = extracted.read() if extracted is not None else b""
                members.append(Member(info, data))
            return members
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ArchiveUnreadable(f"gzip data but not a tar archive ({exc})") from None


def clean_path(name: str) -> Parts:
    """The components of a member name, without ``.``; refuses absolute names and ``..``."""
    if name.startswith("/"):
        raise UnsafeArchive(name, "an absolute path would be written outside the destination")
    parts = tuple(part for part in name.split("/") if part not in ("", "."))
    if ".." in parts:
        raise UnsafeArchive(name, "'..' in its path could lead outside the destination")
    return parts


def _kind(info: tarfile.TarInfo) -> Kind:
    if info.isdir():
        return "dir"
    if info.issym():
        return "symlink"
    if info.islnk():
        return "hardlink"
    if info.isfifo():
        return "fifo"
    if info.isreg():
        return "file"
    if info.type in _DEVICES:
        raise UnsafeArchive(
            info.name,
            f"{_DEVICES[info.type]}; device files are never extracted "
            "(one would open a device of this machine)",
        )
    raise UnsafeArchive(info.name, f"tar member type {info.type!r} is not one jobharness extracts")


def _shown(path: Parts) -> str:
    return "/".join(path)


class _Tree:
    """What the archive makes of each path so far, to check later members against."""

    def __init__(self) -> None:
        self.kinds: dict[Parts, Kind] = {}

    def check_parents(self, name: str, path: Parts) -> None:
        for depth in range(1, len(path)):
            above = path[:depth]
            kind = self.kinds.setdefault(above, "dir")
            if kind == "symlink":
                raise UnsafeArchive(
                    name, f"it would be written through the symbolic link '{_shown(above)}'"
                )
            if kind != "dir":
                raise UnsafeArchive(
                    name,
                    f"'{_shown(above)}' is not a directory (the archive makes it a {_WORDS[kind]})",
                )

    def check_replace(self, name: str, path: Parts, kind: Kind) -> None:
        previous = self.kinds.get(path)
        if previous is not None and (previous == "dir") != (kind == "dir"):
            raise UnsafeArchive(
                name,
                f"it would replace a {_WORDS[previous]} of the archive with a {_WORDS[kind]}",
            )
        self.kinds[path] = kind


def plan(members: Iterable[Member]) -> list[Entry]:
    """The entries to write for ``members``, in order; :class:`UnsafeArchive` for a refused one.

    Nothing is written: every member is checked before the first is.
    """
    tree = _Tree()
    entries = []
    for info, data in members:
        path = clean_path(info.name)
        if not path:
            continue  # "." itself: the destination
        kind = _kind(info)
        tree.check_parents(info.name, path)
        target = info.linkname
        if kind == "hardlink":
            try:
                linked = clean_path(info.linkname)
            except UnsafeArchive:
                linked = ()
            if not linked or tree.kinds.get(linked) in (None, "dir"):
                raise UnsafeArchive(
                    info.name,
                    f"a hard link to '{info.linkname}', which is not a file earlier in the archive",
                )
            target = _shown(linked)
        tree.check_replace(info.name, path, kind)
        entries.append(
            Entry(info.name, path, kind, info.mode & 0o777, info.mtime, data or b"", target)
        )
    return entries


def _check_destination(root: Path, entries: Sequence[Entry]) -> None:
    """Refuse an entry that would go through a link (or a file) already in the destination."""
    checked: set[Parts] = set()
    for entry in entries:
        for depth in range(1, len(entry.path) + 1):
            path = entry.path[:depth]
            if path in checked:
                continue
            checked.add(path)
            try:
                mode = os.lstat(root.joinpath(*path)).st_mode
            except FileNotFoundError:
                break  # created by this extraction, below it too
            leaf = depth == len(entry.path)
            if stat.S_ISDIR(mode) and not (leaf and entry.kind != "dir"):
                continue
            if leaf and not stat.S_ISDIR(mode) and entry.kind != "dir":
                continue  # a file or link the member replaces (the link is not followed)
            if stat.S_ISLNK(mode):
                reason = (
                    f"it would be written through the symbolic link '{_shown(path)}' "
                    "already in the destination"
                )
            else:
                found = "directory" if stat.S_ISDIR(mode) else "file"
                wanted = _WORDS[entry.kind] if leaf else "directory"
                reason = (
                    f"the destination already has a {found} '{_shown(path)}' "
                    f"where the archive has a {wanted}"
                )
            raise UnsafeArchive(entry.name, reason, root)


@contextmanager
def _directory(root_fd: int, path: Parts, created: list[Parts], name: str) -> Iterator[int]:
    """An open descriptor of the directory ``path`` below ``root_fd``, made if missing."""
    fd = os.dup(root_fd)
    try:
        for depth, part in enumerate(path, 1):
            try:
                inner = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                os.mkdir(part, 0o777, dir_fd=fd)
                created.append(path[:depth])
                inner = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except OSError as exc:
                if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
                    raise
                raise UnsafeArchive(
                    name,
                    f"'{_shown(path[:depth])}' became a link or a file while extracting; "
                    "nothing is written through a link",
                ) from exc
            os.close(fd)
            fd = inner
        yield fd
    finally:
        os.close(fd)


def _clear(parent: int, leaf: str) -> None:
    """Remove the file or link ``leaf`` (never what a link points to), if there is one."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(leaf, dir_fd=parent)


def _write(root_fd: int, entry: Entry, created: list[Parts]) -> None:
    leaf = entry.path[-1]
    with _directory(root_fd, entry.path[:-1], created, entry.name) as parent:
        if entry.kind == "dir":
            try:
                os.mkdir(leaf, 0o777, dir_fd=parent)
                created.append(entry.path)
            except FileExistsError:
                pass
            fd = os.open(leaf, _DIR_FLAGS, dir_fd=parent)
            try:
                os.fchmod(fd, entry.mode | 0o700)
            finally:
                os.close(fd)
            return
        _clear(parent, leaf)
        created.append(entry.path)
        if entry.kind == "symlink":
            os.symlink(entry.target, leaf, dir_fd=parent)
        elif entry.kind == "fifo":
            os.mkfifo(leaf, entry.mode | 0o600, dir_fd=parent)
        elif entry.kind == "hardlink":
            source = tuple(entry.target.split("/"))
            with _directory(root_fd, source[:-1], created, entry.name) as where:
                os.link(
                    source[-1], leaf, src_dir_fd=where, dst_dir_fd=parent, follow_symlinks=False
                )
        else:
            fd = os.open(leaf, _FILE_FLAGS, 0o600, dir_fd=parent)
            try:
                view = memoryview(entry.data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fchmod(fd, entry.mode | 0o600)
                os.utime(fd, (entry.mtime, entry.mtime))
            finally:
                os.close(fd)


def _undo(root: Path, created: list[Parts]) -> None:
    for path in reversed(created):
        target = root.joinpath(*path)
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                target.unlink()


def _missing_top(root: Path) -> Path | None:
    """The outermost directory of ``root`` that does not exist yet (made by the extraction)."""
    top = None
    for path in (root, *root.parents):
        if os.path.lexists(path):
            break
        top = path
    return top


def extract_members(
    members: Iterable[Member],
    directory: str | os.PathLike[str],
    what: str = "the environment",
    url: str | None = None,
) -> Path:
    """Write ``members`` under ``directory`` (made if needed), all or nothing; return it.

    Raises :class:`UnsafeArchive` before writing anything for a member that
    would go outside ``directory`` or through a link, and a
    :class:`~jobharness.errors.ConfigurationError` when ``directory`` is not
    a directory. ``what`` (and ``url``, where it came from) name the archive
    in messages.
    """
    root = Path(directory)
    if os.path.lexists(root) and not root.is_dir():
        raise ConfigurationError(f"cannot extract {what} into {str(root)!r}: not a directory")
    try:
        entries = plan(members)
        _check_destination(root, entries)
    except UnsafeArchive as exc:
        raise UnsafeArchive(exc.name, exc.reason, root, what, url) from None
    top = _missing_top(root)
    root.mkdir(parents=True, exist_ok=True)
    created: list[Parts] = []
    root_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for entry in entries:
            _write(root_fd, entry, created)
    except BaseException as exc:
        _undo(root, created)
        if top is not None:
            shutil.rmtree(top, ignore_errors=True)
        if isinstance(exc, UnsafeArchive):
            raise UnsafeArchive(exc.name, exc.reason, root, what, url) from None
        raise
    finally:
        os.close(root_fd)
    return root
