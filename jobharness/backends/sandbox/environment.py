"""Environment archives: pack what the caller gives into a tar.gz, unpack what comes back.

The sandbox takes an environment only as a gzip-compressed tar (anything
else is an HTTP 500 there). :func:`pack_environment` accepts a directory
(packed in memory, member names relative to it, no ``./`` prefix, so they
replace stored members of the same name), the path of a ``.tar.gz``, the
archive's bytes, or a binary file object.
"""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path
from typing import BinaryIO, Union

from jobharness.errors import ProtocolError, ValidationError

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
    checked to be gzip data. Holding the bytes lets a refused (503) execution
    be sent again.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        data, where = bytes(source), "the environment bytes"
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
    return data


def extract_environment(data: bytes, directory: str | os.PathLike[str]) -> Path:
    """Unpack a downloaded environment into ``directory`` (created if needed); return it.

    Member names that would escape ``directory`` (absolute, ``..``, links
    outside) are refused by tarfile's ``data`` filter.
    """
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            archive.extractall(target, filter="data")
    except tarfile.TarError as exc:
        raise ProtocolError(
            f"the environment is not a usable tar.gz archive ({exc})", snippet=repr(data[:40])
        ) from None
    return target
