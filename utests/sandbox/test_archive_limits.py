"""Bounded decompression: a bomb stops at the limit; valid archives unpack whole."""

from __future__ import annotations

import gzip
import zlib

import pytest

from jobharness.backends.sandbox import archive_limits
from jobharness.backends.sandbox.archive_limits import ArchiveLimits, ArchiveTooLarge, gunzip
from jobharness.errors import ConfigurationError


def test_a_small_archive_unpacks_whole() -> None:
    data = b"hello " * 1000
    assert gunzip(gzip.compress(data), limit=len(data)) == data


def test_several_gzip_members_and_zero_padding_are_read() -> None:
    blob = gzip.compress(b"one ") + b"\0" * 16 + gzip.compress(b"two")
    assert gunzip(blob, limit=100) == b"one two"


def test_a_bomb_stops_at_the_limit_without_unpacking_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024))  # 64 MiB of zeros, ~64 KiB compressed
    produced: list[int] = []
    real = zlib.decompressobj

    class Counting:
        def __init__(self, *args: object) -> None:
            self.inner = real(*args)  # type: ignore[call-overload]

        def decompress(self, data: bytes, max_length: int = 0) -> bytes:
            chunk = self.inner.decompress(data, max_length)
            produced.append(len(chunk))
            return chunk

        def __getattr__(self, name: str) -> object:
            return getattr(self.inner, name)

    monkeypatch.setattr(archive_limits.zlib, "decompressobj", Counting)
    limit = 3 * 1024 * 1024
    with pytest.raises(ArchiveTooLarge) as failure:
        gunzip(bomb, limit=limit)
    assert failure.value.limit == "unpacked_bytes"
    assert str(limit) in str(failure.value)
    assert sum(produced) <= limit + archive_limits.INFLATE_CHUNK


def test_a_cut_archive_is_an_error() -> None:
    blob = gzip.compress(b"x" * 10_000)
    with pytest.raises(EOFError):
        gunzip(blob[: len(blob) // 2], limit=100_000)


@pytest.mark.parametrize("field", ["archive_bytes", "members", "unpacked_bytes"])
@pytest.mark.parametrize("value", [0, -1, True, 1.5, "10"])
def test_limits_must_be_positive_whole_numbers(field: str, value: object) -> None:
    with pytest.raises(ConfigurationError, match=f"{field} must be a whole number above 0"):
        ArchiveLimits(**{field: value})  # type: ignore[arg-type]
