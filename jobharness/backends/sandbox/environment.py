"""Environment archives: pack what the caller gives into a tar.gz, unpack what comes back.

The sandbox takes an environment only as a gzip-compressed tar (anything
else is an HTTP 500 there). :func:`pack_environment` accepts a directory
(packed in memory, member names relative to it, no ``./`` prefix, so they
replace stored members of the same name), the path of a ``.tar.gz``, the
archive's bytes, or a binary file object; anything that is not a readable
tar.gz is refused before it is sent. :func:`extract_environment` unpacks
what the server saved, links included, and never writes outside the
destination (see :mod:`jobharness.backends.sandbox.unpack`).
"""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path
from typing import BinaryIO, Union

from jobharness.backends.sandbox.unpack import (
    ArchiveTooLarge,
    ArchiveUnreadable,
    extract_members,
    read_members,
)
from jobharness.errors import ValidationError

EnvironmentSource = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, BinaryIO]

GZIP_MAGIC = b"\x1f\x8b"


def pack_directory(directory: str | os.PathLike[str]) -> bytes:
    """A tar.gz of the content of ``directory``, member names relative to it, sorted."""
    root = Path(directory)
    buffer = io.BytesIO()
    # compresslevel 1: environments are small and this runs before every execution.
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1) as archive:
        for path in sorted(root.rglob("*")):
            archive.add(path, arcname=path.relative_to(root).as_posix(), recursive=False)
    return buffer.getvalue()


def pack_environment(source: EnvironmentSource) -> bytes:
    """The archive bytes to upload for ``source`` (see the module docstring).

    A directory is packed; a file path, bytes or a file object are read and
    checked to be a readable gzip-compressed tar (the server answers 500,
    with no reason, to anything else). Holding the bytes lets a refused (503)
    execution be sent again.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        data, where = bytes(source), "the environment given as bytes"
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.is_dir():
            return pack_directory(path)
        if not path.is_file():
            raise ValidationError(f"{str(path)!r} is neither a directory nor a file", "environ")
        data, where = path.read_bytes(), repr(str(path))
    elif hasattr(source, "read"):
        data, where = source.read(), "the environment file object"
        if not isinstance(data, bytes):
            raise ValidationError("the file object must be opened in binary mode", "environ")
    else:
        raise ValidationError(
            "must be a directory, a .tar.gz path, bytes or a binary file object, "
            f"not {type(source).__name__}",
            "environ",
        )
    if data[:2] != GZIP_MAGIC:
        raise ValidationError(
            f"{where} is not a gzip-compressed tar archive (the sandbox answers 500 to it)",
            "environ",
        )
    try:
        read_members(data)
    except ArchiveTooLarge as exc:
        raise ValidationError(f"{where} is too large to send: {exc}", "environ") from None
    except ArchiveUnreadable as exc:
        raise ValidationError(
            f"{where} is {exc} (the sandbox answers 500 to it)", "environ"
        ) from None
    return data


def extract_environment(
    data: bytes,
    directory: str | os.PathLike[str],
    what: str = "the environment",
    url: str | None = None,
) -> Path:
    """Unpack a downloaded environment into ``directory`` (created if needed); return it.

    Everything the real server saves is unpacked: files, directories,
    symbolic links (pointing anywhere, created as they are), hard links
    between its files, FIFOs. Refused, before anything is written, is what
    would write outside ``directory`` or through a link, and device files:
    an :class:`~jobharness.backends.sandbox.unpack.UnsafeArchive` (a
    :class:`~jobharness.errors.ProtocolError`) names the member and why.
    Data that is not a tar.gz is an ``ArchiveUnreadable`` ProtocolError.
    ``what`` (and ``url``, where it came from) name the archive in messages.
    """
    try:
        members = read_members(data)
    except ArchiveUnreadable as exc:
        raise ArchiveUnreadable(f"{what} is {exc}", url=url, snippet=repr(data[:40])) from None
    return extract_members(members, directory, what, url)
