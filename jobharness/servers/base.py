"""Starting, announcing and stopping embedded servers.

Parent side: :class:`EmbeddedServer` starts ``jobharness serve <backend>`` as
a subprocess on 127.0.0.1 with an ephemeral port, waits for its ready
handshake (a JSON file the child writes once it listens) and stops it by its
PID, process group included.

Child side: :func:`add_server_arguments` and :func:`serve_until_stopped`
give every backend's server the same ``--host/--port/--ready-file`` options,
the same handshake and the same clean stop on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shutil
import signal
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from jobharness.errors import EmbeddedServerError

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication
    from werkzeug.serving import BaseWSGIServer

LOOPBACK = "127.0.0.1"
STOP_GRACE = 5.0


# -- child side -------------------------------------------------------------------------------


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options every embedded server takes: --host, --port, --ready-file, --verbose."""
    parser.add_argument("--host", default=LOOPBACK, help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind (default: a free one)")
    parser.add_argument(
        "--ready-file", help="write a JSON line with the URL here once listening (for launchers)"
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")


def announce_ready(ready_file: str | None, info: Mapping[str, Any]) -> None:
    """Tell the launcher (and the operator) that the server listens: atomically write ``info``."""
    print(f"jobharness: serving {info.get('backend', '?')} at {info.get('url')}", flush=True)
    if ready_file:
        tmp = f"{ready_file}.tmp"
        Path(tmp).write_text(json.dumps(dict(info)), encoding="utf-8")
        os.replace(tmp, ready_file)


def serve_until_stopped(
    server: socketserver.BaseServer,
    args: argparse.Namespace,
    info: Mapping[str, Any],
    on_stop: Callable[[], None] | None = None,
) -> int:
    """Announce ``server``, serve until SIGTERM/SIGINT, then shut down and run ``on_stop``."""
    if not args.verbose:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    stopping = threading.Event()

    def _stop(signum: int, frame: object) -> None:
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    announce_ready(args.ready_file, info)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        if on_stop is not None:
            on_stop()
    return 0


def make_http_server(host: str, port: int, app: WSGIApplication) -> BaseWSGIServer:
    """A threaded werkzeug server for ``app`` speaking HTTP/1.1, so clients can keep alive.

    werkzeug is imported here, by the server process only.
    """
    from werkzeug.serving import WSGIRequestHandler, make_server

    class KeepAliveRequestHandler(WSGIRequestHandler):
        protocol_version = "HTTP/1.1"

    return make_server(host, port, app, threaded=True, request_handler=KeepAliveRequestHandler)


def base_url(host: str, port: int, scheme: str = "http") -> str:
    """``scheme://host:port`` with IPv6 literals bracketed."""
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}"


# -- parent side ------------------------------------------------------------------------------


def _stop_process_group(proc: subprocess.Popen[bytes], grace: float = STOP_GRACE) -> None:
    """SIGTERM the process group led by ``proc`` (by its PID), then SIGKILL after ``grace``."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(grace)


class EmbeddedServer:
    """An embedded server in a subprocess: start it, read its URL, stop it.

    ``info`` is what the server announced (``url``, ``port`` and
    backend-specific keys such as a token or a CA file). Usable as a context
    manager; a forgotten server is stopped when the object is collected or
    the interpreter exits.
    """

    def __init__(
        self,
        backend: str,
        args: Sequence[str] = (),
        *,
        startup_timeout: float = 30.0,
        env: Mapping[str, str] | None = None,
        workdir: str | Path | None = None,
    ) -> None:
        self.backend = backend
        self.args = list(args)
        self.startup_timeout = startup_timeout
        self.env = dict(env) if env is not None else None
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix=f"jobharness-{backend}-"))
        self.info: dict[str, Any] = {}
        self._proc: subprocess.Popen[bytes] | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None

    @property
    def log_file(self) -> Path:
        """Where the server's stdout and stderr go."""
        return self.workdir / "server.log"

    @property
    def url(self) -> str:
        """The base URL the server announced."""
        if not self.info:
            raise EmbeddedServerError(f"embedded {self.backend} server is not running")
        return str(self.info["url"])

    @property
    def pid(self) -> int | None:
        """The server's PID while it runs."""
        return self._proc.pid if self._proc and self._proc.poll() is None else None

    def start(self) -> EmbeddedServer:
        """Start the server and wait for its ready handshake."""
        if self._proc is not None:
            return self
        self.workdir.mkdir(parents=True, exist_ok=True)
        ready = self.workdir / "ready.json"
        ready.unlink(missing_ok=True)
        command = [
            sys.executable,
            "-m",
            "jobharness",
            "serve",
            self.backend,
            "--host",
            LOOPBACK,
            "--port",
            "0",
            "--ready-file",
            str(ready),
            *self.args,
        ]
        env = {**os.environ, **(self.env or {}), "PYTHONUNBUFFERED": "1"}
        with self.log_file.open("ab") as log:
            self._proc = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self.workdir,
                start_new_session=True,
            )
        self._finalizer = weakref.finalize(self, _stop_process_group, self._proc)
        self.info = self._await_ready(ready)
        return self

    def _await_ready(self, ready: Path) -> dict[str, Any]:
        assert self._proc is not None
        end = time.monotonic() + self.startup_timeout
        while time.monotonic() < end:
            if ready.exists():
                return dict(json.loads(ready.read_text(encoding="utf-8")))
            if self._proc.poll() is not None:
                raise EmbeddedServerError(
                    f"embedded {self.backend} server exited with status {self._proc.returncode} "
                    f"before it was ready; its log ends:\n{self.log_tail()}"
                )
            time.sleep(0.02)
        self.stop()
        raise EmbeddedServerError(
            f"embedded {self.backend} server was not ready within {self.startup_timeout:g} s; "
            f"its log ends:\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 20) -> str:
        """The last ``lines`` lines of the server log."""
        try:
            text = self.log_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Stop the server by its PID (SIGTERM, then SIGKILL) and remove its work directory."""
        if self._proc is not None:
            _stop_process_group(self._proc)
            if self._finalizer is not None:
                self._finalizer.detach()
            self._proc = None
        self.info = {}
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
