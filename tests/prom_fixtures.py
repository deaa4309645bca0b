"""A real Prometheus for the metric-source tests: Debian's ``prometheus`` and ``promtool``.

The ``prometheus_server`` fixture is a factory: give it OpenMetrics text and
it writes TSDB blocks with ``promtool tsdb create-blocks-from openmetrics``,
starts ``prometheus`` on a free loopback port with its own empty config and
data directory, waits for ``/-/ready`` (bounded) and stops it at the end of
the test.  A missing binary is an error, never a skip: install it with
``apt-get install -y prometheus``.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

__all__ = ["PromServer", "openmetrics", "prom_query", "prometheus_server", "prometheus_servers"]

_READY_TIMEOUT_S = 30.0


@dataclass
class PromServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


def openmetrics(series: dict[str, list[tuple[float, float]]], types: dict[str, str]) -> str:
    """OpenMetrics text: ``{'name{labels}': [(t, value), ...]}`` with ``{family: type}``."""
    lines: list[str] = []
    by_family: dict[str, list[str]] = {}
    for key in series:
        name = key.split("{", 1)[0]
        family = next((f for f in types if name == f or name.startswith(f + "_")), name)
        by_family.setdefault(family, []).append(key)
    for family, keys in by_family.items():
        lines.append(f"# TYPE {family} {types.get(family, 'gauge')}")
        for key in keys:
            lines.extend(f"{key} {v!r} {t:.3f}" for t, v in series[key])
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def prometheus_servers(base_dir: Path) -> Iterator[Callable[..., PromServer]]:
    """Start real Prometheus servers under ``base_dir``; stop them all on exit."""
    for tool in ("prometheus", "promtool"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} is not installed: apt-get install -y prometheus")
    started: list[PromServer] = []

    def start(text: str, config: str = "global: {}\n",
              files: dict[str, str] | None = None) -> PromServer:
        """``text``: OpenMetrics to backfill ("" for none); ``config``: prometheus.yml;
        ``files``: more files beside it (rule files the config names)."""
        base = base_dir / f"prom{len(started)}"
        data = base / "data"
        data.mkdir(parents=True)
        (base / "prometheus.yml").write_text(config, encoding="utf-8")
        for name, body in (files or {}).items():
            (base / name).write_text(body, encoding="utf-8")
        if text:
            (base / "input.om").write_text(text, encoding="utf-8")
            subprocess.run(
                ["promtool", "tsdb", "create-blocks-from", "openmetrics", "-q",
                 str(base / "input.om"), str(data)],
                check=True, capture_output=True, timeout=60,
            )
        port = _free_port()
        log = base / "prometheus.log"
        with open(log, "wb") as fh:
            process = subprocess.Popen(
                ["prometheus", f"--config.file={base / 'prometheus.yml'}",
                 f"--storage.tsdb.path={data}", f"--web.listen-address=127.0.0.1:{port}",
                 "--storage.tsdb.retention.time=3650d"],
                stdout=fh, stderr=subprocess.STDOUT,
            )
        server = PromServer(f"http://127.0.0.1:{port}", process, log)
        started.append(server)
        deadline = time.monotonic() + _READY_TIMEOUT_S
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"prometheus exited: {log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(server.url + "/-/ready", timeout=1) as r:
                    if r.status == 200:
                        return server
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"prometheus not ready in {_READY_TIMEOUT_S}s")
            time.sleep(0.1)

    try:
        yield start
    finally:
        for server in started:
            server.process.terminate()
            try:
                server.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait(timeout=5)


def prom_query(server: PromServer, path: str, **params: str) -> Any:
    """GET ``/api/v1/PATH`` with ``params``; the ``data`` of a successful answer."""
    query = urllib.parse.urlencode(params)
    with urllib.request.urlopen(f"{server.url}/api/v1/{path}?{query}", timeout=10) as r:
        body = json.loads(r.read())
    assert body["status"] == "success", body
    return body["data"]


@pytest.fixture
def prometheus_server(tmp_path: Path) -> Iterator[Callable[..., PromServer]]:
    """Start real Prometheus servers loaded with the given OpenMetrics text."""
    with prometheus_servers(tmp_path) as start:
        yield start
