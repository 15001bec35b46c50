"""``jobharness serve sandbox``: the embedded sandbox server on a multi-threaded HTTP server."""

from __future__ import annotations

import argparse
import logging
import shutil
import tempfile
from pathlib import Path

from jobharness.servers.base import (
    DEFAULT_THREADS,
    base_url,
    make_http_server,
    serve_until_stopped,
)
from jobharness.servers.sandbox.app import SandboxApp
from jobharness.servers.sandbox.options import ServerOptions
from jobharness.servers.sandbox.storage import ExpirySweeper


def run(args: argparse.Namespace) -> int:
    """Serve on ``args.host:args.port`` until SIGTERM/SIGINT; return the exit status."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    options = ServerOptions.from_args(args)
    work_root = Path(tempfile.mkdtemp(prefix="jobharness-sandbox-work-")).resolve()
    app = SandboxApp(options, work_root)
    sweeper = ExpirySweeper(app.store, options.sweep_interval)
    # every running execution holds a request thread; leave room for the other calls
    threads = max(DEFAULT_THREADS, options.containers + DEFAULT_THREADS // 2)
    server = make_http_server(args.host, args.port, app, threads=threads, verbose=args.verbose)
    port = server.port
    info = {"backend": "sandbox", "url": base_url(args.host, port), "port": port}

    def on_stop() -> None:
        sweeper.stop()
        app.executor.stop()
        shutil.rmtree(work_root, ignore_errors=True)

    sweeper.start()
    return serve_until_stopped(server, args, info, on_stop)
