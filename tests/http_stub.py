"""A local HTTP server answering from a handler class, for tests of what a remote says.

Why: a metrics API or a status page that answers badly (an error body, a document
nested too deep) cannot be had from the real component; the tests serve recorded or
made-up answers from 127.0.0.1 and read them through the real client code.
"""

from __future__ import annotations

import contextlib
import socketserver
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@contextlib.contextmanager
def running(server: socketserver.BaseServer, join_timeout: float = 5) -> Iterator[Any]:
    """``server`` answering on a thread of its own until the block ends, then shut down,
    closed and its thread joined (the stub below, the Django live server, the webhook
    receiver)."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=join_timeout)


@contextlib.contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """``http://127.0.0.1:PORT`` of a server running ``handler`` until the block ends."""
    with running(ThreadingHTTPServer(("127.0.0.1", 0), handler)) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}"
