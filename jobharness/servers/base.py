"""What every embedded server shares: options, ready handshake, clean stop, HTTP serving.

Child side: :func:`add_server_arguments` and :func:`serve_until_stopped`
give every backend's server the same ``--host/--port/--ready-file`` options,
the same handshake and the same clean stop on SIGTERM or SIGINT;
:func:`make_http_server` serves a WSGI app with HTTP/1.1 keep-alive, and with
the standard reason phrases the real servers send (:func:`standard_reasons`).

Parent side: :class:`EmbeddedServer` (from :mod:`jobharness.servers.launcher`)
starts ``jobharness serve <backend>`` through the launcher and waits for the
handshake.
"""

from __future__ import annotations

import argparse
import contextlib
import http
import json
import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from jobharness.privatefiles import replace_private
from jobharness.servers.launcher import EmbeddedServer

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = [
    "LOOPBACK",
    "EmbeddedServer",
    "HttpServer",
    "Servable",
    "add_server_arguments",
    "announce_ready",
    "base_url",
    "make_http_server",
    "on_stop_signal",
    "serve_until_stopped",
    "standard_reason",
    "standard_reasons",
]

LOOPBACK = "127.0.0.1"
DEFAULT_THREADS = 32  # requests an HttpServer runs at once
WORKERS_GRACE = 1  # how long a stopping HttpServer waits for its idle worker threads


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
        # private to the user: the info may hold the server's token, a login or a password
        replace_private(ready_file, json.dumps(dict(info)))


class Servable(Protocol):
    """What :func:`serve_until_stopped` runs: a ``socketserver`` server or :class:`HttpServer`."""

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Serve until :meth:`shutdown` is called."""

    def shutdown(self) -> None:
        """Make :meth:`serve_forever` return (called from another thread)."""

    def server_close(self) -> None:
        """Release the listening socket and whatever else the server holds."""


def on_stop_signal(stop: Callable[[], None]) -> None:
    """Call ``stop`` (once, in the main thread) at the first SIGTERM or SIGINT.

    Later SIGTERMs are ignored: the supervisor sends one to its whole group,
    this process included, after the launcher's, and it must not find the
    interpreter finalizing, when Python has put the default action (death)
    back. The stop is under way; SIGKILL after the grace period stays the
    last word.
    """
    stopping = threading.Event()

    def _handler(signum: int, frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if not stopping.is_set():
            stopping.set()
            stop()

    signal.signal(signal.SIGTERM, _handler)
    signal.signal(signal.SIGINT, _handler)


def serve_until_stopped(
    server: Servable,
    args: argparse.Namespace,
    info: Mapping[str, Any],
    on_stop: Callable[[], None] | None = None,
) -> int:
    """Announce ``server``, serve until SIGTERM/SIGINT, then shut down and run ``on_stop``."""
    on_stop_signal(lambda: threading.Thread(target=server.shutdown, daemon=True).start())
    announce_ready(args.ready_file, info)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        if on_stop is not None:
            on_stop()
    return 0


class HttpServer:
    """A multi-threaded waitress server for one WSGI app, stopped like a ``socketserver``.

    It speaks HTTP/1.1 with keep-alive, as the servers in front of the real
    deployments do. Requests are served by ``threads`` worker threads; a
    request may take as long as its app needs (waitress only closes idle
    connections). waitress is imported here, by the server process only.
    """

    def __init__(
        self, host: str, port: int, app: WSGIApplication, *, threads: int, verbose: bool
    ) -> None:
        from waitress.server import create_server

        if not verbose:
            logging.getLogger("waitress").setLevel(logging.WARNING)
        self._map: dict[int, Any] = {}
        self._stopping = threading.Event()
        self._stopped = threading.Event()
        self._stopped.set()
        self._server = create_server(
            _access_logged(app) if verbose else app,
            map=self._map,
            host=host,
            port=port,
            threads=threads,
            server_name=host,
            asyncore_use_poll=True,
        )

    @property
    def port(self) -> int:
        """The port the server listens on (the one the system chose when asked for 0)."""
        from waitress.server import MultiSocketServer

        if isinstance(self._server, MultiSocketServer):
            return int(self._server.effective_listen[0][1])
        return int(self._server.getsockname()[1])

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Serve until :meth:`shutdown` is called."""
        from waitress import wasyncore

        self._stopped.clear()
        try:
            while not self._stopping.is_set():
                wasyncore.loop(timeout=poll_interval, use_poll=True, map=self._map, count=1)
        finally:
            self._stopped.set()

    def shutdown(self) -> None:
        """Make :meth:`serve_forever` return and wait until it has."""
        self._stopping.set()
        self._stopped.wait()

    def server_close(self) -> None:
        """Close the listening socket and every connection; let the idle worker threads end."""
        from waitress import wasyncore

        wasyncore.close_all(self._map)
        self._server.task_dispatcher.shutdown(cancel_pending=True, timeout=WORKERS_GRACE)


def _access_logged(app: WSGIApplication) -> WSGIApplication:
    """``app`` logging one line per request (method, path, status) to stderr."""
    log = logging.getLogger("jobharness.servers.access")
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False

    def logged(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            log.info(
                "%s %s %s%s %s",
                environ.get("REMOTE_ADDR", "-"),
                environ.get("REQUEST_METHOD", "-"),
                environ.get("PATH_INFO", ""),
                f"?{environ['QUERY_STRING']}" if environ.get("QUERY_STRING") else "",
                status.split(" ", 1)[0],
            )
            return start_response(status, headers, exc_info)

        return app(environ, start)

    return logged


def standard_reason(status: str) -> str:
    """``status`` (``"404 NOT FOUND"``) with the standard phrase of its code (``"404 Not Found"``).

    A code without a standard phrase keeps the phrase it came with.
    """
    code, _, phrase = status.partition(" ")
    with contextlib.suppress(ValueError):
        phrase = http.HTTPStatus(int(code)).phrase
    return f"{code} {phrase}"


def standard_reasons(app: WSGIApplication) -> WSGIApplication:
    """``app`` answering with the standard reason phrases (``404 Not Found``, ``400 Bad Request``).

    The real servers (Django, DRF) send them; werkzeug writes its own in
    capitals (``404 NOT FOUND``), which tests matching a real server's text
    would trip on.
    """

    def fixed(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            return start_response(standard_reason(status), headers, exc_info)

        return app(environ, start)

    return fixed


def make_http_server(
    host: str,
    port: int,
    app: WSGIApplication,
    *,
    threads: int = DEFAULT_THREADS,
    verbose: bool = False,
) -> HttpServer:
    """A multi-threaded HTTP/1.1 keep-alive server for ``app`` on ``host:port`` (0: any port).

    ``threads`` bounds how many requests run at once; ``verbose`` logs every
    request to stderr. Status lines carry the standard reason phrases
    (:func:`standard_reasons`).
    """
    return HttpServer(host, port, standard_reasons(app), threads=threads, verbose=verbose)


def base_url(host: str, port: int, scheme: str = "http") -> str:
    """``scheme://host:port`` with IPv6 literals bracketed."""
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}"
