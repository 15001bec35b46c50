"""Command-line options of the embedded sandbox server and their defaults.

The defaults mirror the real server's settings where it has one
(``EXECUTE_TIMEOUT`` 10 s, ``WAIT_FOR_CONTAINER_DURATION`` 2 s, ``DOCKER_COUNT``
20, ``ENVIRONMENT_EXPIRATION`` one day, 100 MB of memory, no process limit).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

SANDBOX_VERSION = "3.0.3"


@dataclass(frozen=True)
class ServerOptions:
    """Everything the embedded sandbox server is configured with."""

    environments_dir: Path = Path("environments")
    containers: int = 20
    wait_for_container: float = 2.0
    execute_timeout: float = 10.0
    hard_timeout: float = 300.0
    expiration: float = 86400.0
    sweep_interval: float = 1800.0
    usage_interval: float = 2.0
    memory_limit: int = 100_000_000
    cpu_limit: int = 300
    process_limit: int = -1

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> ServerOptions:
        """The options parsed by a parser that :func:`add_arguments` set up."""
        return cls(
            environments_dir=Path(args.environments_dir),
            containers=args.containers,
            wait_for_container=args.wait_for_container,
            execute_timeout=args.execute_timeout,
            hard_timeout=args.hard_timeout,
            expiration=args.expiration,
            sweep_interval=args.sweep_interval,
            usage_interval=args.usage_interval,
            memory_limit=args.memory_limit,
            cpu_limit=args.cpu_limit,
            process_limit=args.process_limit,
        )


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {text!r}")
    return value


def _limit(text: str) -> int:
    value = int(text)
    if value < -1 or value == 0:
        raise argparse.ArgumentTypeError(f"must be a positive number or -1 for none, got {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the sandbox server's own options to ``parser``."""
    d = ServerOptions()
    add = parser.add_argument
    add(
        "--environments-dir",
        default=str(d.environments_dir),
        help="where stored environments live as <uuid>.tgz (default: ./environments)",
    )
    add(
        "--containers",
        type=_positive_int,
        default=d.containers,
        help="how many requests may execute at once, like the real pool size (default 20)",
    )
    add(
        "--wait-for-container",
        type=float,
        default=d.wait_for_container,
        help="seconds an /execute/ request waits for a free slot before a 503 (default 2)",
    )
    add(
        "--execute-timeout",
        type=_positive_float,
        default=d.execute_timeout,
        help="default per-command timeout and total budget of a request, seconds (default 10)",
    )
    add(
        "--hard-timeout",
        type=_positive_float,
        default=d.hard_timeout,
        help="longest any command may run, also for one sent with timeout 0 (no timeout); "
        "seconds (default 300)",
    )
    add(
        "--expiration",
        type=float,
        default=d.expiration,
        help="age in seconds after which stored environments are deleted (default 86400)",
    )
    add(
        "--sweep-interval",
        type=_positive_float,
        default=d.sweep_interval,
        help="seconds between two expiry sweeps of the environments (default 1800)",
    )
    add(
        "--usage-interval",
        type=_positive_float,
        default=d.usage_interval,
        help="seconds /usages/ samples the host counters over (default 2, as the real server)",
    )
    add(
        "--memory-limit",
        type=_limit,
        default=d.memory_limit,
        help="address-space limit of each command in bytes, -1 for none (default 100000000)",
    )
    add(
        "--cpu-limit",
        type=_limit,
        default=d.cpu_limit,
        help="CPU-time limit of each command in seconds, -1 for none (default 300)",
    )
    add(
        "--process-limit",
        type=_limit,
        default=d.process_limit,
        help="RLIMIT_NPROC of each command, -1 for none (default); note that it counts every "
        "process of the server's user, and root is exempt",
    )
