"""Fault injection for client tests (off by default).

``missing-result-once``: the first terminal reply of each job sent to a
``get_result`` with ``wait: true`` or to a ``follow_stream`` is HarpCaller's
spurious ``missing_result`` error, while the real result stays stored (as
in the race of §1.4). ``cut-follow-after=N``: ``follow_stream`` connections
are closed after sending N packets, before the terminal line.
``skip-follow-packet``: every ``follow_stream`` connection that finds its job
still running never sends the first packet stored after it read the stored
ones (the race of §1.6, made certain): the numbers jump by one, nothing else
says so, and the packet stays stored for ``read_stream``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from jobharness.errors import ConfigurationError

FAULT_NAMES = ("missing-result-once", "cut-follow-after=N", "skip-follow-packet")


@dataclass(frozen=True)
class Faults:
    """The faults a dispatcher injects."""

    missing_result_once: bool = False
    cut_follow_after: int | None = None
    skip_follow_packet: bool = False


def parse_faults(options: Iterable[str]) -> Faults:
    """Faults from ``--fault`` option values."""
    missing_result_once = skip_follow_packet = False
    cut_follow_after: int | None = None
    for option in options:
        name, _, value = option.partition("=")
        if option == "missing-result-once":
            missing_result_once = True
        elif option == "skip-follow-packet":
            skip_follow_packet = True
        elif name == "cut-follow-after" and value.isdigit() and int(value) > 0:
            cut_follow_after = int(value)
        else:
            raise ConfigurationError(
                f"--fault {option!r} is not one of {', '.join(FAULT_NAMES)} (N a positive integer)"
            )
    return Faults(missing_result_once, cut_follow_after, skip_follow_packet)
