"""``--runserver``: serving the way the real server's README starts it, Django's ``runserver``.

Django's development server is built on ``wsgiref``, and so is this one: it
handles one request per connection and says ``Connection: close`` on every
reply, and it sends whatever body the view made, also for a HEAD (the app
decides which HEAD replies carry one, see :class:`~.app.SandboxApp`). Each
reply goes out in one write, as a small reply from the real server does, so
a client meets the body of a HEAD together with its headers.
"""

from __future__ import annotations

import io
import logging
import socket
import socketserver
from typing import TYPE_CHECKING, Any
from wsgiref.headers import Headers
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

from jobharness.servers.base import standard_reasons

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

log = logging.getLogger("jobharness.servers.access")


class _ClosingHandler(ServerHandler):
    """Django's ``ServerHandler``: HTTP/1.1 status lines; here, ``Connection: close`` always."""

    http_version = "1.1"
    headers: Headers  # set by start_response; the type stubs leave these two out
    request_handler: WSGIRequestHandler  # for the log line of the request

    def cleanup_headers(self) -> None:
        """Add ``Connection: close``: the connection ends with this reply."""
        super().cleanup_headers()
        self.headers["Connection"] = "close"


class _RequestHandler(WSGIRequestHandler):
    """One request per connection; the reply is gathered and sent in one write."""

    verbose = False

    def handle(self) -> None:
        """Read one request, run the app, send the whole reply at once."""
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536:
            self.requestline, self.request_version, self.command = "", "", ""
            self.send_error(414)
            return
        if not self.parse_request():
            return
        reply = io.BytesIO()
        handler = _ClosingHandler(
            self.rfile, reply, self.get_stderr(), self.get_environ(), multithread=True
        )
        handler.request_handler = self
        handler.run(self.server.get_app())  # type: ignore[attr-defined]
        self.wfile.write(reply.getvalue())

    def log_message(self, format: str, *args: Any) -> None:
        """Log requests only when the server is verbose."""
        if self.verbose:
            log.info("%s %s", self.address_string(), format % args)


class RunServer(socketserver.ThreadingMixIn, WSGIServer):
    """A threading ``wsgiref`` server, as Django's ``runserver`` is; stops like a socketserver."""

    daemon_threads = True
    block_on_close = False

    def server_bind(self) -> None:
        """Bind without the reverse DNS lookup of ``HTTPServer`` (it can hang without DNS)."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)
        self.setup_environ()

    @property
    def port(self) -> int:
        """The port the server listens on (the one the system chose when asked for 0)."""
        return int(self.server_address[1])


def make_runserver(
    host: str, port: int, app: WSGIApplication, *, verbose: bool = False
) -> RunServer:
    """A server for ``app`` on ``host:port`` (0: any port) that answers as ``runserver`` does."""
    handler = type("RequestHandler", (_RequestHandler,), {"verbose": verbose})
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    server_class = type("RunServer", (RunServer,), {"address_family": family})
    server: RunServer = server_class((host, port), handler)
    server.set_app(standard_reasons(app))
    return server
