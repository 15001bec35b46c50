"""Fixtures of the sandbox client tests.

The client tests use the plugin's own ``sandbox_server`` and ``sandbox``
fixtures (a real embedded server per xdist worker). ``stub`` is the one fake:
a tiny werkzeug server for answers the real server cannot be made to send
(garbage, odd statuses, 503 on demand).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

Handler = Callable[[Request], Response]


@dataclass
class Stub:
    """A loopback HTTP server answering every request with ``handler``; records the paths."""

    url: str
    handler: Handler
    paths: list[str] = field(default_factory=list)

    def reply(self, *responses: Response) -> None:
        """Answer with ``responses`` in turn, repeating the last one."""
        queue = list(responses)

        def handler(request: Request) -> Response:
            return queue.pop(0) if len(queue) > 1 else queue[0]

        self.handler = handler

    @staticmethod
    def json(text: str, status: int = 200) -> Response:
        """A response labelled as JSON whatever its text."""
        return Response(text, status=status, content_type="application/json")


@pytest.fixture
def stub() -> Iterator[Stub]:
    """A stub HTTP server on 127.0.0.1 (ephemeral port), stopped after the test."""
    holder: list[Stub] = []

    @Request.application  # type: ignore[arg-type]
    def app(request: Request) -> Response:
        holder[0].paths.append(request.environ.get("RAW_URI") or request.path)
        return holder[0].handler(request)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    holder.append(Stub(f"http://127.0.0.1:{server.server_port}", lambda r: Response("stub")))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield holder[0]
    server.shutdown()
    server.server_close()
