"""The dispatcher listener (threads per connection) and its TLS client context for harpd."""

from __future__ import annotations

import logging
import socket
import socketserver
import ssl
from pathlib import Path

from jobharness.servers.harp.handler import DispatcherHandler
from jobharness.servers.harp.jobs import JobManager

log = logging.getLogger(__name__)


class DispatcherServer(socketserver.ThreadingTCPServer):
    """Plain TCP JSON-lines server answering with :class:`DispatcherHandler`."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], manager: JobManager) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.manager = manager
        super().__init__(address, DispatcherHandler)


def harpd_client_context(ca_file: Path | None = None, insecure: bool = False) -> ssl.SSLContext:
    """How harpd certificates are checked: ``ca_file``, else the system store, or not at all."""
    if insecure:
        log.warning("harpd certificates are not verified (--insecure)")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
