"""Real nginx, real example backends and a bounded load generator, for the canary tests.

A pytest plugin (the suite's ``conftest.py`` lists it in ``pytest_plugins``).
The canary's promise (no request dropped by a weight change, all traffic on
stable within seconds of a rollback) is about what nginx really does on a
graceful reload, so the tests run the Debian nginx binary, as the test's own
master process (``-p PREFIX -c PREFIX/nginx.conf``, ``daemon off``, pid file
and temp folders in a temporary directory, loopback ports only), never a
system service.  A missing nginx fails the test with the command that installs
it: the suite never skips its subject.

* ``nginx_lb``: an nginx master started from ``examples/backends/nginx.conf``
  (the walkthrough's own file), stopped gracefully at the end.
* ``backends``: starts ``examples/backends/v1.py`` / ``v2.py`` as processes on
  free loopback ports and stops them.
* :class:`LoadGenerator`: threads + ``http.client``, one fresh connection per
  request, a fixed request budget and a time limit, every answer recorded
  with its version, status and times.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from http_stub import running

__all__ = [
    "APT_INSTALL",
    "Answer",
    "Backends",
    "LoadGenerator",
    "NginxLB",
    "Receiver",
    "backends",
    "free_port",
    "nginx_binary",
    "nginx_lb",
    "receiver",
]

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "backends"
APT_INSTALL = "apt-get update && apt-get install -y nginx-light"


def nginx_binary() -> str:
    """The nginx executable; a missing one fails the test with the install command."""
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )
    if found is None:
        pytest.fail(f"nginx is not installed; install it with: {APT_INSTALL}")
    return found


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class NginxLB:
    """One running nginx master: where its files are and which port the router should use."""

    binary: str
    prefix: Path
    conf: Path
    conf_dir: Path
    port: int
    process: subprocess.Popen[bytes]
    error_log: Path

    @property
    def listen(self) -> str:
        return f"127.0.0.1:{self.port}"

    def router_kwargs(self) -> dict[str, object]:
        """What ``NginxRouter`` needs to drive this nginx."""
        return {
            "conf_dir": self.conf_dir,
            "listen": self.listen,
            "nginx": self.binary,
            "conf": self.conf,
            "prefix": self.prefix,
            "access_log": self.prefix / "access.log",
        }


@pytest.fixture
def nginx_lb() -> Iterator[NginxLB]:
    """A private nginx master on loopback, from the walkthrough's nginx.conf."""
    binary = nginx_binary()
    # As root, nginx's workers run as nobody: like /etc/nginx/conf.d, the router's
    # folder must be searchable by them (the rollback flag is stat()ed per request).
    # pytest keeps its base folder private (0700, reset by every session), so the
    # nginx prefix lives in a folder of its own.
    prefix = Path(tempfile.mkdtemp(prefix="scrubphi-lb-")) / "lb"
    prefix.parent.chmod(0o755)
    conf_dir = prefix / "conf.d"
    conf_dir.mkdir(parents=True)
    conf = prefix / "nginx.conf"
    shutil.copy(EXAMPLES / "nginx.conf", conf)
    error_log = prefix / "error.log"
    with open(error_log, "wb") as err:
        process = subprocess.Popen(
            [binary, "-p", str(prefix), "-c", str(conf), "-e", "stderr"],
            stdin=subprocess.DEVNULL, stdout=err, stderr=err,
        )
    pid_file = prefix / "nginx.pid"
    deadline = time.monotonic() + 10
    while not pid_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait(timeout=10)
            log = error_log.read_text(errors="replace")[-2000:]
            shutil.rmtree(prefix.parent, ignore_errors=True)
            pytest.fail(f"nginx did not start: {log}")
        time.sleep(0.02)
    lb = NginxLB(binary, prefix, conf, conf_dir, free_port(), process, error_log)
    try:
        yield lb
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGQUIT)  # graceful: finish requests, then exit
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        shutil.rmtree(prefix.parent, ignore_errors=True)


def _start_backend(version: str, *args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, str(EXAMPLES / f"{version}.py"), "--port", "0", *args],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    stdout = process.stdout
    assert stdout is not None
    ready: list[str] = []
    reader = threading.Thread(target=lambda: ready.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout=10)
    line = ready[0] if ready else ""
    if " listening on " not in line:
        process.kill()
        process.wait(timeout=10)
        stdout.close()
        pytest.fail(f"example backend {version} did not start")
    return process, line.rsplit(" ", 1)[1].strip()


class Backends:
    """``backends("v2", "--fail-ratio", "5%") -> "127.0.0.1:PORT"``; ``process(address)``."""

    def __init__(self) -> None:
        self.started: dict[str, subprocess.Popen[str]] = {}

    def __call__(self, version: str, *args: str) -> str:
        process, address = _start_backend(version, *args)
        self.started[address] = process
        return address

    def process(self, address: str) -> subprocess.Popen[str]:
        """The backend process serving ``address`` (to kill or signal it mid-run)."""
        return self.started[address]


@pytest.fixture
def backends() -> Iterator[Backends]:
    """Start example backends as processes; all stopped at the end."""
    started = Backends()
    try:
        yield started
    finally:
        for process in started.started.values():
            process.terminate()
        for process in started.started.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
            if process.stdout is not None:
                process.stdout.close()


@dataclass(frozen=True)
class Answer:
    """One request as the client saw it: which version (X-Version), status, when."""

    version: str | None
    status: int | None  # None: no HTTP answer at all (connection refused, reset, timeout)
    start: float  # time.time()
    end: float
    error: str | None = None


@dataclass
class LoadGenerator:
    """Bounded load on loopback: ``threads`` clients, at most ``budget`` requests, ``limit`` s.

    Each client opens a fresh connection per request (``Connection: close``)
    and waits ``pause`` seconds between requests, so the rate is bounded too.
    """

    host: str
    port: int
    budget: int = 6000
    limit: float = 60.0
    threads: int = 6
    pause: float = 0.02
    timeout: float = 10.0
    answers: list[Answer] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _workers: list[threading.Thread] = field(default_factory=list)
    _issued: int = 0

    def _take(self) -> bool:
        with self._lock:
            if self._issued >= self.budget:
                return False
            self._issued += 1
            return True

    def _one(self) -> Answer:
        start = time.time()
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            conn.request("GET", "/", headers={"Connection": "close"})
            response = conn.getresponse()
            response.read()
            return Answer(response.getheader("X-Version"), response.status, start, time.time())
        except (OSError, http.client.HTTPException) as exc:
            return Answer(None, None, start, time.time(), type(exc).__name__)
        finally:
            conn.close()

    def _worker(self, deadline: float) -> None:
        while not self._stop.is_set() and time.monotonic() < deadline and self._take():
            answer = self._one()
            with self._lock:
                self.answers.append(answer)
            self._stop.wait(self.pause)

    def start(self) -> LoadGenerator:
        deadline = time.monotonic() + self.limit
        for _ in range(self.threads):
            worker = threading.Thread(target=self._worker, args=(deadline,), daemon=True)
            worker.start()
            self._workers.append(worker)
        return self

    def stop(self) -> list[Answer]:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=self.timeout + 5)
        with self._lock:
            return list(self.answers)

    def __enter__(self) -> LoadGenerator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Receiver(ThreadingHTTPServer):
    """A local webhook receiver: every JSON body POSTed to it, in order."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[dict[str, Any]] = []
        self.content_types: set[str] = set()
        self.fail_next = 0


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.server.fail_next:
            self.server.fail_next -= 1
            self.send_response(503)
            self.end_headers()
            return
        self.server.content_types.add(self.headers.get("Content-Type", ""))
        self.server.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running(Receiver()) as server:
        yield server
