"""How much an environment archive may hold, and decompression that stops at the limit.

A gzip archive of 2 MiB can unpack to gigabytes, and one of a few hundred
kilobytes can hold a hundred thousand members. :func:`gunzip` decompresses in
bounded chunks and stops as soon as the output passes its limit, so such an
archive costs no more memory than the limit; :class:`ArchiveLimits` holds the
limits that the client's extraction and the embedded server apply.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from jobharness.errors import ConfigurationError, ProtocolError


class ArchiveUnreadable(ProtocolError):
    """Data that is not a gzip-compressed tar archive (cut, damaged, or something else)."""


class ArchiveTooLarge(ArchiveUnreadable):
    """An archive over one of its :class:`ArchiveLimits` (a decompression bomb, say).

    ``limit`` names the limit (``archive_bytes``, ``members``, ``unpacked_bytes``).
    Reading stopped at the limit: no more was decompressed or kept in memory.
    """

    def __init__(self, message: str, limit: str, url: str | None = None) -> None:
        self.limit = limit
        super().__init__(message, url=url)


@dataclass(frozen=True)
class ArchiveLimits:
    """How much an archive may hold: its own size, its members, its size once unpacked.

    ``unpacked_bytes`` counts the decompressed tar stream (file bytes and
    headers); reading stops as soon as a limit is passed, so a small archive
    that unpacks to gigabytes costs no more than the limit.
    """

    archive_bytes: int = 256 * 1024 * 1024
    members: int = 100_000
    unpacked_bytes: int = 1024 * 1024 * 1024

    def __post_init__(self) -> None:
        for name in ("archive_bytes", "members", "unpacked_bytes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ConfigurationError(f"{name} must be a whole number above 0, got {value!r}")


CLIENT_LIMITS = ArchiveLimits()
"""What a client unpacks at most (256 MiB archive, 100,000 members, 1 GiB unpacked)."""
INFLATE_CHUNK = 1024 * 1024


def gunzip(blob: bytes, limit: int) -> bytes:
    """The decompressed ``blob`` (gzip, one or more members), never more than ``limit`` bytes."""
    out = bytearray()
    data = blob
    while True:
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        while not inflater.eof:
            chunk = inflater.decompress(data, INFLATE_CHUNK)
            data = inflater.unconsumed_tail
            out += chunk
            if len(out) > limit:
                raise ArchiveTooLarge(
                    f"it unpacks to more than {limit} bytes (the limit of unpacked_bytes)",
                    "unpacked_bytes",
                )
            if not chunk and not data:
                raise EOFError("compressed data ended before the end-of-stream marker")
        data = inflater.unused_data.lstrip(b"\0")
        if not data:
            return bytes(out)
