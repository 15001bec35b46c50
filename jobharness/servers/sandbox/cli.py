"""``jobharness serve sandbox``: the embedded sandbox server on a multi-threaded HTTP server."""

from __future__ import annotations

import argparse
import logging
import tempfile
from pathlib import Path

from jobharness.servers.base import (
    DEFAULT_THREADS,
    Servable,
    base_url,
    make_http_server,
    serve_until_stopped,
)
from jobharness.servers.sandbox.app import SandboxApp
from jobharness.servers.sandbox.options import ServerOptions
from jobharness.servers.sandbox.runserver import make_runserver
from jobharness.servers.sandbox.storage import ExpirySweeper


def run(args: argparse.Namespace) -> int:
    """Serve on ``args.host:args.port`` until SIGTERM/SIGINT; return the exit status.

    The data lives in ``--data-dir``, or else in a temporary directory that
    is removed at stop, like the per-request working directories.
    """
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    options = ServerOptions.from_args(args)
    with tempfile.TemporaryDirectory(prefix="jobharness-sandbox-") as temporary:
        options = options.with_data_dir(options.data_dir or Path(temporary, "data"))
        work_root = Path(temporary, "work").resolve()
        work_root.mkdir()
        app = SandboxApp(options, work_root)
        sweeper = ExpirySweeper(app.store, options.sweep_interval)
        server: Servable
        if options.runserver:
            server = runserver = make_runserver(args.host, args.port, app, verbose=args.verbose)
            port = runserver.port
        else:
            # every running execution holds a request thread; leave room for the other calls
            threads = max(DEFAULT_THREADS, options.containers + DEFAULT_THREADS // 2)
            server = http = make_http_server(
                args.host, args.port, app, threads=threads, verbose=args.verbose
            )
            port = http.port
        info = {
            "backend": "sandbox",
            "url": base_url(args.host, port),
            "port": port,
            "data_dir": str(options.data_dir),
            "environments_dir": str(options.environments_dir),
        }

        def on_stop() -> None:
            sweeper.stop()
            app.executor.stop()

        sweeper.start()
        return serve_until_stopped(server, args, info, on_stop)
