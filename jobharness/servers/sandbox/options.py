"""Command-line options of the embedded sandbox server and their defaults.

The defaults mirror the real server's settings where it has one
(``EXECUTE_TIMEOUT`` 10 s, ``WAIT_FOR_CONTAINER_DURATION`` 2 s, ``DOCKER_COUNT``
20, ``ENVIRONMENT_EXPIRATION`` one day, 100 MB of memory, no process limit).
Where the real server has a delay that only slows tests down (a container
comes back to the pool about 11 s after its request), the default is none
and an option brings it back. Data lives in a temporary directory unless
``--data-dir`` (or ``--environments-dir``) says where.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass, field, replace
from pathlib import Path

from jobharness.backends.sandbox.archive_limits import ArchiveLimits
from jobharness.servers.sandbox.faults import FAULT_NAMES, Faults, fault_option, parse_faults

SANDBOX_VERSION = "3.0.3"
ENVIRONMENTS = "environments"


@dataclass(frozen=True)
class ServerOptions:
    """Everything the embedded sandbox server is configured with.

    ``data_dir`` and ``environments_dir`` are None until the server has
    chosen them (a temporary directory unless given).
    """

    data_dir: Path | None = None
    environments_dir: Path | None = None
    containers: int = 20
    wait_for_container: float = 2.0
    container_return_delay: float = 0.0
    execute_timeout: float = 10.0
    hard_timeout: float = 300.0
    expiration: float = 86400.0
    sweep_interval: float = 1800.0
    usage_interval: float = 2.0
    memory_limit: int = 100_000_000
    cpu_limit: int = 300
    process_limit: int = -1
    max_archive_bytes: int = 64 * 1024 * 1024
    max_archive_members: int = 10_000
    max_unpacked_bytes: int = 256 * 1024 * 1024
    runserver: bool = False
    faults: Faults = field(default_factory=Faults)

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> ServerOptions:
        """The options parsed by a parser that :func:`add_arguments` set up."""
        return cls(
            data_dir=args.data_dir,
            environments_dir=args.environments_dir,
            containers=args.containers,
            wait_for_container=args.wait_for_container,
            container_return_delay=args.container_return_delay,
            execute_timeout=args.execute_timeout,
            hard_timeout=args.hard_timeout,
            expiration=args.expiration,
            sweep_interval=args.sweep_interval,
            usage_interval=args.usage_interval,
            memory_limit=args.memory_limit,
            cpu_limit=args.cpu_limit,
            process_limit=args.process_limit,
            max_archive_bytes=args.max_archive_bytes,
            max_archive_members=args.max_archive_members,
            max_unpacked_bytes=args.max_unpacked_bytes,
            runserver=args.runserver,
            faults=parse_faults(args.fault),
        )

    @property
    def archive_limits(self) -> ArchiveLimits:
        """The limits an uploaded or stored environment must keep to."""
        return ArchiveLimits(
            self.max_archive_bytes, self.max_archive_members, self.max_unpacked_bytes
        )

    def with_data_dir(self, data_dir: Path) -> ServerOptions:
        """These options with ``data_dir`` and the environments directory settled (absolute)."""
        environments = self.environments_dir or data_dir / ENVIRONMENTS
        return replace(self, data_dir=data_dir.resolve(), environments_dir=environments.resolve())


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


def _seconds(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds of 0 or more, got {text!r}")
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
        "--data-dir",
        type=Path,
        metavar="DIR",
        help="keep the server's data here, across restarts: stored environments in "
        "DIR/environments/ (default: a temporary directory removed at stop)",
    )
    add(
        "--environments-dir",
        type=Path,
        metavar="DIR",
        help="where stored environments live as <uuid>.tgz (default: environments/ in the "
        "data directory)",
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
        "--container-return-delay",
        type=_seconds,
        metavar="SECONDS",
        default=d.container_return_delay,
        help="seconds a slot stays taken after its request ends, as the real pool restarts "
        "a container (about 11 s there; default 0)",
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
    add(
        "--max-archive-bytes",
        type=_positive_int,
        default=d.max_archive_bytes,
        help="largest environment archive an /execute/ request may upload, in bytes; more is "
        "a 413 (default 64 MiB; the real server has no limit)",
    )
    add(
        "--max-archive-members",
        type=_positive_int,
        default=d.max_archive_members,
        help="most members an environment archive may hold; more is a 413 (default 10000)",
    )
    add(
        "--max-unpacked-bytes",
        type=_positive_int,
        default=d.max_unpacked_bytes,
        help="most bytes an environment (uploaded and stored, merged) may unpack to; more is "
        "a 413, found without unpacking more than that (default 256 MiB)",
    )
    add(
        "--runserver",
        action="store_true",
        help="answer as the real server does under Django's runserver (its README's way): "
        "Connection: close on every reply, no keep-alive, and the body of a HEAD reply sent "
        "as the view made it (the text of a 404)",
    )
    add(
        "--fault",
        action="append",
        default=[],
        type=fault_option,
        metavar="FAULT",
        help="reproduce a fault of the real server (repeatable, none by default): "
        f"{', '.join(FAULT_NAMES)}: every N-th execution finds its container removed "
        "(status -1, its first command never starts)",
    )
