"""Procedures for the harp server tests: the sample set plus a few probes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jobharness.servers.harpd.proc import Result, procedure, streaming_procedure
from jobharness.servers.harpd.sample_procedures import *  # noqa: F403  (exposed by name)


class Custom(Exception):
    """An exception class defined in the procedures file."""


@procedure
def raise_custom(message: str) -> None:
    """Raise an exception of a class of this module."""
    raise Custom(message)


@streaming_procedure
def letters(text: str) -> Iterator[str]:
    """Yield the characters of ``text``; no explicit result."""
    yield from text


@streaming_procedure
def watched(marker: str, delay: float = 0.05) -> Iterator[int]:
    """Yield numbers forever; write ``marker`` when the stream is closed."""
    try:
        i = 0
        while True:
            yield i
            i += 1
            time.sleep(delay)
    finally:
        Path(marker).write_text("closed", encoding="utf-8")


@procedure
def value(v: Any) -> Any:
    """Return ``v``."""
    return v


@streaming_procedure
def each(items: list[Any]) -> Iterator[Any]:
    """Yield each of ``items``; the result is the last one (``None`` without any)."""
    yield from items
    yield Result(items[-1] if items else None)
