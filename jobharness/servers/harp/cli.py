"""``jobharness serve harp``: options and start-up of the embedded dispatcher."""

from __future__ import annotations

import argparse
import contextlib
import logging
import tempfile
from pathlib import Path
from typing import Any

from jobharness.servers.base import base_url, serve_until_stopped
from jobharness.servers.harp.faults import FAULT_NAMES, parse_faults
from jobharness.servers.harp.hosts import build_registry, parse_entry_option, read_hosts_file
from jobharness.servers.harp.jobs import JobManager, Limits
from jobharness.servers.harp.server import DispatcherServer, harpd_client_context
from jobharness.servers.harp.store import JobStore


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The dispatcher options (the common --host/--port/--ready-file come from the launcher)."""
    parser.add_argument(
        "--hosts-file", type=Path, help="JSON lines: hostname, address, port, credentials"
    )
    parser.add_argument(
        "--host-entry",
        action="append",
        default=[],
        metavar="JSON",
        help="one registry entry (repeatable)",
    )
    parser.add_argument(
        "--ca-file", type=Path, help="CA certificates to verify harpd with (default: system store)"
    )
    parser.add_argument(
        "--insecure", action="store_true", help="accept any harpd certificate (logged)"
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="job records and streams; give one to keep jobs across restarts "
        "(default: a temporary directory removed at stop)",
    )
    parser.add_argument(
        "--default-timeout",
        type=float,
        default=600.0,
        help="seconds allowed between two packets or to the result (600)",
    )
    parser.add_argument(
        "--max-exec-time", type=float, default=600.0, help="seconds a job may run in all (600)"
    )
    parser.add_argument(
        "--lenient-json",
        action="store_true",
        help="accept exponents without a decimal point and \\u surrogate escapes, "
        "which HarpCaller rejects",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="FAULT",
        help=f"inject a fault for client tests (repeatable, off by default): "
        f"{', '.join(FAULT_NAMES)}",
    )


def run(args: argparse.Namespace) -> int:
    """Start the dispatcher and serve until SIGTERM/SIGINT."""
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s harp %(levelname)s %(message)s",
    )
    entries = read_hosts_file(args.hosts_file) if args.hosts_file else []
    entries += [parse_entry_option(text) for text in args.host_entry]
    with contextlib.ExitStack() as cleanup:
        data_dir = args.data_dir or Path(
            cleanup.enter_context(tempfile.TemporaryDirectory(prefix="jobharness-harp-"))
        )
        store = JobStore(data_dir)
        manager = JobManager(
            store,
            build_registry(entries),
            harpd_client_context(args.ca_file, args.insecure),
            Limits(args.default_timeout, args.max_exec_time),
            parse_faults(args.fault),
            json_quirks=not args.lenient_json,
        )
        server = DispatcherServer((args.host, args.port), manager)
        host, port = server.server_address[:2]
        info: dict[str, Any] = {
            "backend": "harp",
            "url": base_url(str(host), int(port), "tcp"),
            "host": host,
            "port": port,
            "data_dir": str(data_dir),
            "hosts": sorted(manager.hosts),
        }
        return serve_until_stopped(server, args, info, on_stop=store.close)
