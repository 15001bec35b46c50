"""``jobharness serve sandbox``: the embedded sandbox server on a threaded werkzeug server."""

from __future__ import annotations

import argparse
import logging
import shutil
import tempfile
from pathlib import Path

from jobharness.servers.base import base_url, make_http_server, serve_until_stopped
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
    server = make_http_server(args.host, args.port, app)
    port = int(server.socket.getsockname()[1])
    info = {"backend": "sandbox", "url": base_url(args.host, port), "port": port}

    def on_stop() -> None:
        sweeper.stop()
        app.executor.stop()
        shutil.rmtree(work_root, ignore_errors=True)

    sweeper.start()
    return serve_until_stopped(server, args, info, on_stop)
