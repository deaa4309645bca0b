"""A tiny HTTP app for the canary walkthrough (stdlib only): one version of "the service".

Why it exists: ``docs/canary.md`` ("Deploy v2 with a canary") and the nginx
end-to-end test need two real versions of an app on one machine, one of which
can be made bad on purpose.  ``v1.py`` and ``v2.py`` run this with their
version name.

* ``GET /healthz`` answers 200 ``ok`` (503 with ``--unhealthy``).
* Any other ``GET`` answers 200 with the version name in the body and in the
  ``X-Version`` header, after ``--delay`` (a slow release), or 500 for a
  ``--fail-ratio`` share of requests (a broken release).  Failures are spread
  evenly (request n fails when floor(n * ratio) goes up), so 5% means exactly
  one request in twenty, which keeps a demo and a test reproducible.
* ``--then-delay 2500ms`` makes it slow from the moment it gets SIGUSR1
  (``kill -USR1 PID``): a release that degrades in the middle of a canary.
  SIGUSR2 makes ``/healthz`` answer 503 from then on.
* It prints ``listening on HOST:PORT`` once it accepts connections
  (``--port 0`` picks a free port) and logs no requests.
"""

from __future__ import annotations

import argparse
import math
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["main"]


def _ratio(text: str) -> float:
    value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("a ratio between 0 and 1, or a percentage like 5%")
    return value


def _seconds(text: str) -> float:
    if text.endswith("ms"):
        return float(text[:-2]) / 1000
    return float(text[:-1]) if text.endswith("s") else float(text)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # bursts from nginx must not meet a full accept queue

    def __init__(self, address: tuple[str, int], version: str, fail_ratio: float,
                 delay: float, unhealthy: bool) -> None:
        super().__init__(address, _Handler)
        self.version = version
        self.fail_ratio = fail_ratio
        self.delay = delay
        self.unhealthy = unhealthy
        self.count = 0
        self.lock = threading.Lock()

    def should_fail(self) -> bool:
        with self.lock:
            self.count += 1
            n = self.count
        return math.floor(n * self.fail_ratio) > math.floor((n - 1) * self.fail_ratio)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "scrubphi-example"

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the load balancer logs requests."""

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Version", self.server.version)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/healthz":
            if self.server.unhealthy:
                self._answer(503, b"unhealthy\n")
            else:
                self._answer(200, b"ok\n")
            return
        if self.server.delay:
            time.sleep(self.server.delay)
        if self.server.should_fail():
            self._answer(500, f"{self.server.version} failed\n".encode())
        else:
            self._answer(200, f"hello from {self.server.version}\n".encode())


def main(version: str, argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=f"example backend {version}")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--fail-ratio", type=_ratio, default=0.0,
                        help="share of requests answered 500, e.g. 5%%")
    parser.add_argument("--delay", type=_seconds, default=0.0,
                        help="extra time per request, e.g. 300ms")
    parser.add_argument("--unhealthy", action="store_true", help="/healthz answers 503")
    parser.add_argument("--then-delay", type=_seconds, default=None,
                        help="after SIGUSR1, this extra time per request instead of --delay")
    args = parser.parse_args(argv)
    server = _Server((args.host, args.port), version, args.fail_ratio, args.delay,
                     args.unhealthy)
    if args.then_delay is not None:
        later = float(args.then_delay)

        def slow_down(signum: int, frame: object) -> None:
            server.delay = later

        signal.signal(signal.SIGUSR1, slow_down)

    def turn_unhealthy(signum: int, frame: object) -> None:
        server.unhealthy = True

    signal.signal(signal.SIGUSR2, turn_unhealthy)
    host, port = server.server_address[:2]
    shown = host.decode() if isinstance(host, bytes) else host
    print(f"{version} listening on {shown}:{port}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    sys.exit(0)
