"""The ``jobharness`` command: ``serve <backend>``, ``fault-proxy`` and ``doctor``."""

from __future__ import annotations

import argparse
import importlib
import platform
import sys
from collections.abc import Sequence
from importlib import metadata

from jobharness import __version__, faultproxy_cli, reap_cli
from jobharness.errors import JobHarnessError
from jobharness.plugins import ServerSpec, servers
from jobharness.servers.base import EmbeddedServer, add_server_arguments

# module -> distribution, for the versions doctor prints
REQUIRED_MODULES = {
    "robot": "robotframework",
    "pytest": "pytest",
    "pluggy": "pluggy",
    "requests": "requests",
    "werkzeug": "werkzeug",
    "pexpect": "pexpect",
    "aiohttp": "aiohttp",
}


def build_parser(specs: dict[str, ServerSpec]) -> argparse.ArgumentParser:
    """The argument parser, with one ``serve`` subcommand per registered server."""
    parser = argparse.ArgumentParser(prog="jobharness", description=__doc__)
    parser.add_argument("--version", action="version", version=f"jobharness {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run an embedded server on 127.0.0.1 until stopped")
    backends = serve.add_subparsers(dest="backend", required=True, metavar="BACKEND")
    for spec in specs.values():
        sub = backends.add_parser(spec.name, help=spec.help, description=spec.help)
        add_server_arguments(sub)
        spec.add_arguments(sub)
        sub.set_defaults(run=spec.run)
    proxy = commands.add_parser(
        "fault-proxy",
        help="a TCP proxy on 127.0.0.1 that injects faults (resets, stalls, 5xx ...)",
        description=faultproxy_cli.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    faultproxy_cli.add_arguments(proxy)
    proxy.set_defaults(run=faultproxy_cli.run)
    reap = commands.add_parser(
        "reap",
        help="cancel what a crashed or killed run left on the configured servers",
        description=reap_cli.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    reap_cli.add_arguments(reap)
    reap.set_defaults(run=reap_cli.run)
    doctor = commands.add_parser("doctor", help="check the installation and every embedded server")
    doctor.add_argument("--no-servers", action="store_true", help="skip starting the servers")
    return parser


def doctor(specs: dict[str, ServerSpec], start_servers: bool = True) -> int:
    """Print one line per check; return 1 if any failed."""
    failed = 0
    print(f"jobharness {__version__} on Python {platform.python_version()}")
    for name, distribution in REQUIRED_MODULES.items():
        try:
            importlib.import_module(name)
            print(f"ok    {name} {metadata.version(distribution)}")
        except (ImportError, metadata.PackageNotFoundError) as exc:
            failed += 1
            print(f"FAIL  {name}: {exc}")
    for name in specs if start_servers else ():
        try:
            with EmbeddedServer(name) as server:
                print(f"ok    embedded {name} server started at {server.url}")
        except JobHarnessError as exc:
            failed += 1
            print(f"FAIL  embedded {name} server: {exc}")
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``jobharness`` command."""
    specs = servers()
    args = build_parser(specs).parse_args(argv)
    if args.command == "doctor":
        return doctor(specs, start_servers=not args.no_servers)
    try:
        return int(args.run(args))
    except JobHarnessError as exc:
        print(f"jobharness: {exc}", file=sys.stderr)
        return 2
