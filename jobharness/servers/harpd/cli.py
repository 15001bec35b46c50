"""``jobharness serve harpd``: options and start-up of the embedded harpd."""

from __future__ import annotations

import argparse
import contextlib
import logging
import secrets
import tempfile
from pathlib import Path
from typing import Any

from jobharness.errors import ConfigurationError
from jobharness.servers.base import base_url, serve_until_stopped
from jobharness.servers.harpd.auth import Authenticator, parse_user
from jobharness.servers.harpd.connection import HarpdContext
from jobharness.servers.harpd.protocol import MAX_REQUEST_BYTES
from jobharness.servers.harpd.registry import load_procedures
from jobharness.servers.harpd.server import HarpdServer
from jobharness.servers.harpd.tls import ServerCertificate, generate_certificate, server_context

log = logging.getLogger(__name__)

GENERATED_USER = "harp"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The harpd options (the common --host/--port/--ready-file come from the launcher)."""
    parser.add_argument(
        "--procedures", type=Path, help="Python file of procedures (default: the sample set)"
    )
    parser.add_argument("--cert-file", type=Path, help="PEM certificate chain (with --key-file)")
    parser.add_argument("--key-file", type=Path, help="PEM private key of --cert-file")
    parser.add_argument(
        "--data-dir", type=Path, help="where a generated CA is written (default: a temp dir)"
    )
    parser.add_argument(
        "--user", action="append", default=[], metavar="NAME:PASSWORD", help="a user (repeatable)"
    )
    parser.add_argument(
        "--password-file", type=Path, help="'user:crypt-hash' lines, re-read on every request"
    )
    parser.add_argument(
        "--read-timeout", type=float, default=10.0, help="seconds to wait for the request line"
    )
    parser.add_argument(
        "--max-request-bytes",
        type=int,
        default=MAX_REQUEST_BYTES,
        help="longest request line accepted (4 MiB)",
    )
    parser.add_argument(
        "--allow-old-tls", action="store_true", help="also accept TLS 1.0/1.1 like upstream harpd"
    )


def _certificate(args: argparse.Namespace, data_dir: Path) -> ServerCertificate:
    if args.cert_file or args.key_file:
        if not (args.cert_file and args.key_file):
            raise ConfigurationError("--cert-file and --key-file go together")
        return ServerCertificate(args.cert_file, args.key_file)
    return generate_certificate(data_dir)


def run(args: argparse.Namespace) -> int:
    """Start harpd and serve until SIGTERM/SIGINT."""
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s harpd %(levelname)s %(message)s",
    )
    with contextlib.ExitStack() as cleanup:
        data_dir = args.data_dir or Path(
            cleanup.enter_context(tempfile.TemporaryDirectory(prefix="jobharness-harpd-"))
        )
        users = dict(parse_user(text) for text in args.user)
        announced: tuple[str | None, str | None] = (None, None)
        if args.user:
            announced = parse_user(args.user[0])
        elif args.password_file is None:
            announced = (GENERATED_USER, secrets.token_urlsafe(16))
            users[GENERATED_USER] = announced[1]
        certificate = _certificate(args, data_dir)
        context = HarpdContext(
            ssl_context=server_context(certificate, allow_old_tls=args.allow_old_tls),
            authenticator=Authenticator(users, args.password_file),
            procedures=load_procedures(args.procedures),
            read_timeout=args.read_timeout,
            max_request_bytes=args.max_request_bytes,
        )
        server = HarpdServer((args.host, args.port), context)
        host, port = server.server_address[:2]
        info: dict[str, Any] = {
            "backend": "harpd",
            "url": base_url(str(host), int(port), "tls"),
            "host": host,
            "port": port,
            "ca_file": str(certificate.ca_file) if certificate.ca_file else None,
            "user": announced[0],
            "password": announced[1],
            "procedures": sorted(context.procedures),
        }
        if certificate.ca_file:
            print(f"jobharness: harpd CA certificate at {certificate.ca_file}", flush=True)
        return serve_until_stopped(server, args, info, on_stop=server.stop_connections)
