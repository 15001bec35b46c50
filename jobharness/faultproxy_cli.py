"""``jobharness fault-proxy``: the fault-injecting proxy from a shell, for any suite.

Put it between a suite and its server to see what the suite does when the
network or the server misbehaves::

    jobharness fault-proxy --upstream 127.0.0.1:8000 --fault reset --every 5

relays everything to 127.0.0.1:8000 and resets every fifth request. It
prints its URL, runs until Ctrl-C or SIGTERM, then prints how many faults
it injected.
"""

from __future__ import annotations

import argparse
import signal
import threading

from jobharness.errors import ConfigurationError
from jobharness.faultproxy import FAULTS, FaultProxy


def _address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``jobharness fault-proxy``."""
    parser.add_argument("--upstream", type=_address, required=True, help="HOST:PORT to relay to")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: free)")
    parser.add_argument("--protocol", choices=("http", "lines"), default="http")
    parser.add_argument("--fault", choices=FAULTS, help="the fault to inject (default: none)")
    parser.add_argument(
        "--every", type=int, default=1, metavar="N", help="inject it into every N-th request"
    )
    parser.add_argument("--delay", type=float, default=2.0, help="seconds of the delay fault")
    parser.add_argument(
        "--drip-interval", type=float, default=1.0, help="seconds between dripped bytes"
    )
    parser.add_argument("--status", type=int, default=503, help="status of the error fault")


def run(args: argparse.Namespace) -> int:
    """Run the proxy until SIGINT or SIGTERM; print what it injected."""
    if args.every < 1:
        raise ConfigurationError(f"--every must be 1 or more, got {args.every}")
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with FaultProxy(
        args.upstream,
        args.protocol,
        args.drip_interval,
        delay=args.delay,
        status=args.status,
        port=args.port,
    ) as proxy:
        if args.fault:
            proxy.every(args.every, args.fault)
        what = f"{args.fault} every {args.every} request(s)" if args.fault else "no faults"
        print(
            f"jobharness: fault proxy at {proxy.url} -> {args.upstream[0]}:{args.upstream[1]}"
            f" ({what})",
            flush=True,
        )
        while not stop.wait(0.5):
            pass
        counts = ", ".join(f"{n} {name}" for name, n in sorted(proxy.injected.items()))
        print(f"jobharness: {proxy.requests_seen} request(s), faults: {counts or 'none'}")
    return 0
